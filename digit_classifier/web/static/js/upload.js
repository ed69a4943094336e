/* Paste or drop an image: a screenshot pasted with Ctrl+V (Cmd+V) anywhere on the page, or a
 * file dropped anywhere on it, goes into the upload form's file input via DataTransfer and the
 * form is submitted normally, so the server sees exactly what choosing the file would send.
 * Without this script a dropped file would replace the page with the browser's own viewer. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = form.querySelector("input[type=file][name=image]");
  var card = form.closest(".card") || form;
  var IMAGE_NAME = /\.(png|jpe?g|gif|bmp|webp|tiff?|avif|hei[cf])$/i;

  // The first image File of a DataTransfer (clipboard or drop), or null.
  function firstImage(transfer) {
    var files = (transfer && transfer.files) || [];
    for (var i = 0; i < files.length; i++) {
      if (files[i].type.indexOf("image/") === 0 || IMAGE_NAME.test(files[i].name)) { return files[i]; }
    }
    return null;
  }

  function send(file) {
    var box = new DataTransfer();
    box.items.add(file);
    input.files = box.files;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  document.addEventListener("paste", function (event) {
    var file = firstImage(event.clipboardData);
    if (!file) { return; }
    event.preventDefault();
    send(file);
  });
  document.addEventListener("dragover", function (event) {
    event.preventDefault();  // allow a drop here instead of the browser opening the file
    card.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    if (!event.relatedTarget) { card.classList.remove("drop-target"); }  // left the window
  });
  document.addEventListener("drop", function (event) {
    event.preventDefault();
    card.classList.remove("drop-target");
    var file = firstImage(event.dataTransfer);
    if (file) { send(file); }
  });
})();
