// Host side of the player page: scales the recorded viewport to fit, draws the pointer
// trail, and exposes the small API the application calls (`window.tapeview`).
'use strict';

(function () {
  const stage = document.getElementById('stage');
  const viewport = document.getElementById('viewport');
  const frame = document.getElementById('frame');
  const cursor = document.getElementById('cursor');
  const trail = document.getElementById('trail');
  const ripples = document.getElementById('ripples');
  const replayer = new window.TapeviewReplayer(frame, cursor, ripples);
  const TRAIL_MS = 600;
  let points = [];
  let drawing = false;
  let stripTop = null; // a page drawn in strips: unscaled, moved up by this many px

  function fit() {
    const width = replayer.width;
    const height = replayer.height;
    viewport.style.width = width + 'px';
    viewport.style.height = height + 'px';
    trail.width = width;
    trail.height = height;
    if (stripTop !== null) {
      viewport.style.transform = 'translate(0px,' + (-stripTop) + 'px)';
      return;
    }
    const scale = Math.min(stage.clientWidth / width, stage.clientHeight / height) || 1;
    const left = Math.max(0, (stage.clientWidth - width * scale) / 2);
    const top = Math.max(0, (stage.clientHeight - height * scale) / 2);
    viewport.style.transform = 'translate(' + left + 'px,' + top + 'px) scale(' + scale + ')';
  }

  function drawTrail() {
    const now = performance.now();
    points = points.filter((p) => now - p.t < TRAIL_MS);
    const context = trail.getContext('2d');
    context.clearRect(0, 0, trail.width, trail.height);
    for (let i = 1; i < points.length; i += 1) {
      const age = (now - points[i].t) / TRAIL_MS;
      context.strokeStyle = 'rgba(255, 82, 82,' + (0.6 * (1 - age)).toFixed(3) + ')';
      context.lineWidth = 3;
      context.lineCap = 'round';
      context.beginPath();
      context.moveTo(points[i - 1].x, points[i - 1].y);
      context.lineTo(points[i].x, points[i].y);
      context.stroke();
    }
    drawing = points.length > 0;
    if (drawing) requestAnimationFrame(drawTrail);
  }

  replayer.onResize = fit;
  replayer.onPointer = (x, y) => {
    if (!replayer.instant) {
      points.push({ x, y, t: performance.now() });
      if (!drawing) {
        drawing = true;
        requestAnimationFrame(drawTrail);
      }
    }
  };
  window.addEventListener('resize', fit);

  function state() {
    // As JSON text: the host gets exactly this, whatever the bridge does with objects.
    return JSON.stringify({
      href: replayer.href, width: replayer.width, height: replayer.height, errors: replayer.errors,
      stageWidth: stage.clientWidth, stageHeight: stage.clientHeight,
    });
  }

  function settled() {
    // Every image decoded and every font loaded, in the page and in its iframes.
    const documents = [frame.contentDocument];
    for (const node of replayer.nodes.values()) {
      if (node && node.nodeType === 9 && node !== frame.contentDocument) documents.push(node);
    }
    for (const doc of documents) {
      if (!doc) continue;
      if (doc.fonts && doc.fonts.status !== 'loaded') return false;
      for (const image of doc.images) if (!image.complete) return false;
    }
    return true;
  }

  window.tapeview = {
    configure(options) {
      if (options.assetHost) replayer.assetPrefix = 'tvasset://' + options.assetHost + '/?u=';
      return state();
    },
    reset(events) {
      points = [];
      replayer.instant = true;
      replayer.reset(events);
      replayer.instant = false;
      fit();
      return state();
    },
    apply(events) {
      replayer.apply(events, false);
      return state();
    },
    fit() {
      fit();
      return state();
    },
    // Show the page pixel for pixel from page y `top` down, whatever size the view takes
    // (a late resize must not scale it back to fit): a heatmap's background is grabbed so.
    showStrip(top) {
      stripTop = top;
      fit();
      return state();
    },
    settled,
    state,
  };
  fit();
  document.title = 'ready';
})();
