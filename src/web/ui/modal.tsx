import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

// A modal dialog: <dialog> opened with showModal(), so the page behind is inert (focus cannot
// leave the dialog, screen readers see only it) and the dialog sits in the middle of the
// viewport, not wherever the page happened to put it. Focus goes to the element marked
// data-autofocus, else the dialog's first focusable element. Escape calls onCancel, or does
// nothing when the dialog must run to its end.

export function Modal(props: {
  labelledBy: string;
  class?: string;
  testId?: string;
  onCancel?: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (!d.open) d.showModal();
    d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      if (d.open) d.close();
    };
  }, []);
  const cancel = (e: Event) => {
    e.preventDefault();
    props.onCancel?.();
  };
  return (
    <dialog
      ref={ref}
      class={props.class}
      aria-labelledby={props.labelledBy}
      aria-modal="true"
      data-testid={props.testId}
      onCancel={cancel}
    >
      {props.children}
    </dialog>
  );
}
