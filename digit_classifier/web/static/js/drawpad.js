/* Drawing pad: pointer events (mouse, pen, touch) draw thick round strokes on a white canvas.
 * Submitting turns the canvas into a PNG file (canvas.toBlob), puts it into the form's
 * file input <input name="image"> via DataTransfer and submits the form normally, so the
 * server sees exactly what the upload form sends (multipart field "image" + csrf_token). */
(function () {
  "use strict";
  var form = document.getElementById("draw-form");
  if (!form) { return; }
  var canvas = document.getElementById("drawpad");
  var input = document.getElementById("draw-image");
  var hint = document.getElementById("drawpad-hint");
  var ctx = canvas.getContext("2d");
  var drawing = false, hasInk = false, last = null;

  function reset() {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#000000";
    ctx.fillStyle = "#000000";
    ctx.lineWidth = Math.round(canvas.width / 13);  // ~2 px after the 20 px MNIST fit
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    hasInk = false;
  }

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - rect.left) * canvas.width / rect.width,
      y: (event.clientY - rect.top) * canvas.height / rect.height
    };
  }

  function dot(p) {
    ctx.beginPath();
    ctx.arc(p.x, p.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    dot(last);
    hasInk = true;
    hint.classList.add("d-none");
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
  });
  ["pointerup", "pointercancel"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });

  document.getElementById("drawpad-clear").addEventListener("click", reset);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!hasInk) { hint.classList.remove("d-none"); return; }
    var button = document.getElementById("drawpad-submit");
    button.disabled = true;
    button.textContent = "Recognising…";
    canvas.toBlob(function (blob) {
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "drawing.png", { type: "image/png" }));
      input.files = transfer.files;
      form.submit();  // a normal navigation to the result page; no submit event, no loop
    }, "image/png");
  });

  // Coming back from the result page (bfcache) must leave the pad usable again.
  window.addEventListener("pageshow", function () {
    var button = document.getElementById("drawpad-submit");
    button.disabled = false;
    button.textContent = "Recognise drawing";
  });

  reset();
}());
