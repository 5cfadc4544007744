/* global document, window */
/* The login page's one script: a login link carries the token in its fragment (#token=…), which
   browsers never send to a server. Move it into the form, wipe it from the address bar and the
   history entry, then submit: after login the token is in no URL. */
(function () {
  var form = document.getElementById('login-form');
  var field = document.getElementById('token');
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!form || !field) return;
  if (!match) {
    field.focus();
    return;
  }
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  field.value = decodeURIComponent(match[1]);
  form.submit();
})();
