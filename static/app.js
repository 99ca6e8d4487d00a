// The pages' only script: the Content-Security-Policy allows no inline script.
// A link marked data-back goes back one page when there is one (else it follows its href).
document.addEventListener('click', function (e) {
  var a = e.target.closest && e.target.closest('a[data-back]');
  if (a && window.history.length > 1) {
    e.preventDefault();
    window.history.back();
  }
});
