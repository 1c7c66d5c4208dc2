/* Kinko hosted card fields: runs on Kinko's origin inside the merchant's iframe. Sends the
   card to Kinko (same origin, with the per-session key), runs a 3-D Secure challenge in a
   nested frame when the issuer asks for one, and posts only the token to the merchant's
   origin, named exactly (never "*").
   The challenge opens in a modal dialog over the card form: on a phone a box below the
   form was out of sight, the form stayed usable and focus stayed in it, and an earlier
   "declined" read as the answer to the new attempt. The dialog takes the focus, the form
   underneath is inert, the old message is cleared, and the merchant's page is told
   (kinko:challenge) so it can clear its own messages and bring this frame into view. */
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('kinko-fields').textContent);
  var form = document.getElementById('card-form');
  var errorBox = document.getElementById('error');
  var button = document.getElementById('submit');
  var frame = document.getElementById('challenge-frame');
  var dialog = document.createElement('dialog');
  dialog.setAttribute('aria-label', '3-D Secure');
  dialog.style.padding = '0';
  dialog.style.border = '0';
  dialog.style.width = 'calc(100% - 16px)';
  dialog.style.maxWidth = '100%';
  // The dialog is made here, around the frame, before the frame has a page to lose.
  frame.parentNode.insertBefore(dialog, frame);
  dialog.appendChild(frame);
  // Escape would leave a challenge half done behind an open form: it stays until it ends.
  dialog.addEventListener('cancel', function (event) {
    event.preventDefault();
  });

  function openChallenge(url) {
    errorBox.textContent = '';
    frame.src = url;
    frame.style.display = 'block';
    frame.style.border = '0';
    if (!dialog.open) dialog.showModal();
    frame.focus();
    tell({ type: 'kinko:challenge' });
  }
  function closeChallenge() {
    frame.style.display = 'none';
    if (dialog.open) dialog.close();
  }

  function value(id) {
    return document.getElementById(id).value.trim();
  }
  function tell(message) {
    window.parent.postMessage(message, config.parentOrigin);
  }
  function fail(err) {
    errorBox.textContent = err.message || 'Something went wrong.';
    button.disabled = false;
    tell({ type: 'kinko:error', code: err.code || 'error', message: err.message || '' });
  }
  function clearCard() {
    ['number', 'exp-month', 'exp-year', 'cvc'].forEach(function (id) {
      document.getElementById(id).value = '';
    });
  }
  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/json', 'x-kinko-session-key': config.sessionKey },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().then(function (json) {
        if (!res.ok) throw json.error || { code: 'error', message: 'Request failed.' };
        return json;
      });
    });
  }
  function done(result) {
    if (result.status === 'succeeded') {
      clearCard();
      closeChallenge();
      errorBox.textContent = '';
      tell({ type: 'kinko:token', token: result.card.token, brand: result.card.brand,
        last4: result.card.last4 });
    } else if (result.status === 'requires_action') {
      openChallenge(result.challenge_url);
    }
  }

  window.addEventListener('message', function (event) {
    // The challenge page is on our own origin and lives in our own nested frame.
    if (event.origin !== window.location.origin || event.source !== frame.contentWindow) return;
    if (!event.data || event.data.type !== 'kinko:3ds-finished') return;
    post(config.completePath, {}).then(done, function (err) {
      closeChallenge();
      clearCard();
      fail(err);
    });
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.textContent = '';
    var month = parseInt(value('exp-month'), 10);
    var year = parseInt(value('exp-year'), 10);
    if (year < 100) year += 2000;
    post(config.tokenizePath, {
      number: value('number'),
      exp_month: isNaN(month) ? 0 : month,
      exp_year: isNaN(year) ? 0 : year,
      cvc: value('cvc'),
    }).then(function (result) {
      document.getElementById('cvc').value = '';
      done(result);
    }, fail);
  });
})();
