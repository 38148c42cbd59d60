// The site's one QR reader, used by the permit verification page and the scanner page (scan.js): it
// reads a QR code from the camera (getUserMedia, which browsers allow only on HTTPS or localhost) or
// from a photo or picked image, both decoded by jsQR (vendor/jsqr), and hands the text to the page.
// `window.homewardQrReader(box, onText)` wires a box holding [data-scan-start], [data-scan-stop],
// [data-scan-file], [data-scan-video] and [data-scan-status], with the messages in its data-msg-*
// attributes (the page's language); it returns `say(text, state)` for the page's own messages.
// The verification page's part: a link to that page, here or at the public address, or a bare
// token, is verified by the page's own form; anything else is refused with a message.
// Without JavaScript (or without jsQR) the scanner stays hidden and the forms work as before.
(function () {
  "use strict";

  if (typeof window.jsQR !== "function") return;

  function attach(box, onText) {
    const msg = box.dataset;
    const start = box.querySelector("[data-scan-start]");
    const stop = box.querySelector("[data-scan-stop]");
    const file = box.querySelector("[data-scan-file]");
    const video = box.querySelector("[data-scan-video]");
    const status = box.querySelector("[data-scan-status]");
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let stream = null;
    let timer = null;

    // What went wrong, as opposed to what is going on (shown in red).
    const PROBLEMS = ["denied", "no-camera", "failed", "no-code", "bad-image", "foreign"];

    function say(text, state) {
      status.textContent = text;
      status.classList.toggle("scan-problem", PROBLEMS.includes(state));
      box.dataset.state = state;
    }

    // The QR code in a picture (a video frame or an image), scaled to at most `longest` pixels wide or
    // high; the text it holds, or null.
    function decode(picture, width, height, longest, inversions) {
      const scale = Math.min(1, longest / Math.max(width, height));
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(picture, 0, 0, canvas.width, canvas.height);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: inversions });
      return code ? code.data : null;
    }

    function stopCamera() {
      window.clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
    }

    function scanFrame() {
      if (video.readyState < video.HAVE_CURRENT_DATA) return;
      const text = decode(video, video.videoWidth, video.videoHeight, 640, "dontInvert");
      if (text === null) return;
      stopCamera();
      onText(text);
    }

    function cameraError(error) {
      stopCamera();
      if (error && error.name === "NotAllowedError") say(msg.msgDenied, "denied");
      else if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) say(msg.msgNoCamera, "no-camera");
      else say(msg.msgCameraFailed, "failed");
    }

    // Browsers offer getUserMedia only to secure contexts (HTTPS, localhost).
    function cameraPossible() {
      return window.isSecureContext && !!navigator.mediaDevices && !!navigator.mediaDevices.getUserMedia;
    }

    async function startCamera() {
      if (!cameraPossible()) {
        say(msg.msgInsecure, "insecure");
        return;
      }
      say(msg.msgStarting, "starting");
      start.hidden = true;
      stop.hidden = false;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
      } catch (error) {
        cameraError(error);
        return;
      }
      say(msg.msgScanning, "scanning");
      timer = window.setInterval(scanFrame, 150);
    }

    async function scanFile() {
      const picked = file.files && file.files[0];
      if (!picked) return;
      stopCamera();
      let image;
      try {
        image = await createImageBitmap(picked);
      } catch (error) {
        say(msg.msgBadImage, "bad-image");
        return;
      } finally {
        file.value = ""; // the same photo picked again is a new attempt
      }
      const text = decode(image, image.width, image.height, 1280, "attemptBoth");
      image.close();
      if (text === null) say(msg.msgNoCode, "no-code");
      else onText(text);
    }

    start.addEventListener("click", startCamera);
    stop.addEventListener("click", () => {
      stopCamera();
      say("", "idle");
    });
    file.addEventListener("change", scanFile);
    window.addEventListener("pagehide", stopCamera);
    if (!cameraPossible()) {
      start.hidden = true; // only the photo is left: say why
      say(msg.msgInsecure, "insecure");
    }
    box.hidden = false;
    return say;
  }

  window.homewardQrReader = attach;

  const box = document.getElementById("permit-scanner");
  const form = document.getElementById("verify-form");
  if (!box || !form) return;
  const msg = box.dataset;
  let say = null;

  // The token a read QR code carries: the text itself when it is a token, else the ``t`` of a link to
  // this page (on this site or at its public address); null for anything else.
  function tokenOf(text) {
    if (text.startsWith(msg.tokenPrefix)) return text;
    let url;
    try {
      url = new URL(text);
    } catch (error) {
      return null;
    }
    const ours = [window.location.origin, new URL(msg.publicUrl).origin];
    if (!ours.includes(url.origin) || url.pathname !== msg.verifyPath) return null;
    return url.searchParams.get("t") || null;
  }

  // A link to this very page is opened, as a phone's camera app would; a token, or a link to the
  // page at the public address (another host than the one this device reached), goes in the form.
  function verify(read) {
    const text = read.trim();
    const token = tokenOf(text);
    if (!token) {
      say(msg.msgForeign, "foreign");
      return;
    }
    say(msg.msgRead, "read");
    if (text !== token && new URL(text).origin === window.location.origin) {
      window.location.assign(text);
    } else {
      form.elements.t.value = token;
      form.requestSubmit();
    }
  }

  say = attach(box, verify);
})();
