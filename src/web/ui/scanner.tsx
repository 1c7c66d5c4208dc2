import { useEffect, useState } from 'preact/hooks';

// Camera scanning with the browser's BarcodeDetector where it exists (Chrome on Android,
// macOS); elsewhere the page offers typing or pasting instead. Nothing leaves the device:
// frames are read locally and only the decoded text is handed back.

interface Detector {
  detect(source: HTMLVideoElement): Promise<Array<{ rawValue: string }>>;
}
type DetectorClass = new (o: { formats: string[] }) => Detector;

/** Camera scanning with the browser's BarcodeDetector, where the browser has one. */
export function useScanner(
  onText: (text: string) => void,
  formats: string[],
  labels: { use: string; stop: string; none: string },
) {
  const [on, setOn] = useState(false);
  const Detector = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  useEffect(() => {
    if (!on || !Detector) return;
    let stream: MediaStream | undefined;
    let timer = 0;
    const video = document.getElementById('scan-video') as HTMLVideoElement | null;
    const detector = new Detector({ formats });
    void navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' } })
      .then(async (s) => {
        stream = s;
        if (!video) return;
        video.srcObject = s;
        await video.play();
        timer = window.setInterval(async () => {
          const found = await detector.detect(video).catch(() => []);
          if (found[0]) {
            onText(found[0].rawValue);
            setOn(false);
          }
        }, 300);
      })
      .catch(() => setOn(false));
    return () => {
      clearInterval(timer);
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [on]);
  if (!Detector) return <p class="muted">{labels.none}</p>;
  return (
    <div class="card">
      {on && <video id="scan-video" class="scan" muted playsInline />}
      <button type="button" onClick={() => setOn(!on)}>
        {on ? labels.stop : labels.use}
      </button>
    </div>
  );
}
