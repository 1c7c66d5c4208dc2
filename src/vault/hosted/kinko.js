/* Kinko hosted card fields, merchant-side loader. Load with its SRI hash:
   <script src="https://KINKO/js/kinko.js" integrity="sha384-…" crossorigin="anonymous">
   Kinko.mount('#card', { publishableKey: 'pk_…', onToken(card) {…}, onError(err) {…},
                          onChallenge() {…} })
   onChallenge (optional) runs when the card issuer's 3-D Secure check opens inside the
   fields: clear any earlier error there, or it reads as the answer to this attempt.
   Card data never touches this page: it is typed into an iframe on Kinko's origin, and only
   the token (with brand and last four digits) comes back, from that iframe only. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) throw new Error('kinko.js must be loaded with a src attribute');
  var kinkoOrigin = new URL(script.src).origin;

  function mount(target, options) {
    var el = typeof target === 'string' ? document.querySelector(target) : target;
    if (!el) throw new Error('Kinko.mount: no element ' + target);
    if (!options || typeof options.publishableKey !== 'string') {
      throw new Error('Kinko.mount: publishableKey is required');
    }
    var iframe = document.createElement('iframe');
    iframe.src = kinkoOrigin + '/hosted/fields?pk=' + encodeURIComponent(options.publishableKey) +
      '&origin=' + encodeURIComponent(window.location.origin);
    iframe.title = 'Card details (Kinko)';
    iframe.setAttribute('allow', '');
    iframe.style.border = '0';
    iframe.style.width = '100%';
    iframe.style.height = options.height || '520px';
    function onMessage(event) {
      // Only Kinko's origin, and only this iframe, may speak to us.
      if (event.origin !== kinkoOrigin || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || typeof data !== 'object') return;
      if (data.type === 'kinko:token' && typeof data.token === 'string') {
        if (options.onToken) options.onToken({ token: data.token, brand: data.brand, last4: data.last4 });
      } else if (data.type === 'kinko:challenge') {
        // The check opens as a dialog inside the fields: bring them into view (on a phone
        // they may be below the fold), then let the page clear its stale messages.
        if (iframe.scrollIntoView) iframe.scrollIntoView({ block: 'center' });
        if (options.onChallenge) options.onChallenge();
      } else if (data.type === 'kinko:error') {
        if (options.onError) options.onError({ code: String(data.code), message: String(data.message) });
      }
    }
    window.addEventListener('message', onMessage);
    el.appendChild(iframe);
    return {
      iframe: iframe,
      unmount: function () {
        window.removeEventListener('message', onMessage);
        iframe.remove();
      },
    };
  }

  window.Kinko = Object.freeze({ mount: mount, origin: kinkoOrigin });
})();
