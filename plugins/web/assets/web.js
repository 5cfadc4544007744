/* global document, window */
/* The UI's only script (pages work without it): ask before a form marked data-confirm acts. */
document.addEventListener('submit', function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) event.preventDefault();
});
