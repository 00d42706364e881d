// Every page: open collapsed details before printing, so a printout holds all reasons.
(function () {
  "use strict";
  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details:not([open])");
    for (var i = 0; i < all.length; i++) {
      all[i].setAttribute("open", "");
      all[i].setAttribute("data-print-opened", "1");
    }
  });
  window.addEventListener("afterprint", function () {
    var all = document.querySelectorAll("details[data-print-opened]");
    for (var i = 0; i < all.length; i++) {
      all[i].removeAttribute("open");
      all[i].removeAttribute("data-print-opened");
    }
  });
}());
