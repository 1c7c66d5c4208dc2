/* Kinko 3-D Secure challenge page: sends the one-time code as JSON to Kinko and, when the
   challenge has ended, tells the page that opened it, at the origin Kinko recorded for it. */
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('kinko-challenge').textContent);
  var form = document.getElementById('challenge');
  var status = document.getElementById('status');
  var button = document.getElementById('submit');

  function finished(state) {
    form.style.display = 'none';
    status.textContent = state === 'authenticated' ? 'Confirmed.' : 'Not confirmed (' + state + ').';
    if (window.parent !== window) {
      window.parent.postMessage({ type: 'kinko:3ds-finished', status: state }, config.notifyOrigin);
    }
  }
  if (config.status !== 'pending') finished(config.status);
  // The page opens in a modal dialog: the code field takes the focus, not the page behind.
  else document.getElementById('code').focus();

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    button.disabled = true;
    fetch(config.answerPath, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: document.getElementById('code').value.trim() }),
    }).then(function (res) {
      return res.json();
    }).then(function (json) {
      button.disabled = false;
      if (json.error) {
        status.textContent = json.error.message;
      } else if (json.status === 'pending') {
        status.textContent = 'Wrong code; ' + json.attempts_left + ' attempt(s) left.';
        document.getElementById('code').value = '';
      } else {
        finished(json.status);
      }
    }, function () {
      button.disabled = false;
      status.textContent = 'Could not reach Kinko; try again.';
    });
  });
})();
