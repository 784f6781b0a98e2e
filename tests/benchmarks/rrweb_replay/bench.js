// Driven by tests/benchmarks/bench_replay.py through Playwright: one call per measurement, so
// the Python side sees progress and no single evaluate runs for minutes.
//
// rrweb's `pause(offset)` seeks synchronously: it casts every event before the offset (into
// its virtual DOM, then diffs that into the iframe) before it returns, so performance.now()
// around the call is the whole seek. Options differ from rrweb's defaults only where the
// default would add work Tapeview does not do either: warnings printed to the console.
'use strict';

(function () {
  let events = null;
  let replayer = null;

  function elementCount() {
    const doc = replayer && replayer.iframe ? replayer.iframe.contentDocument : null;
    return doc ? doc.getElementsByTagName('*').length : 0;
  }

  function result(started) {
    return {
      ms: performance.now() - started,
      elements: elementCount(),
      currentTime: replayer.getCurrentTime(),
    };
  }

  window.bench = {
    version() {
      return window.rrwebReplay && window.rrwebReplay.Replayer ? 'ok' : 'missing';
    },

    async load(url) {
      const started = performance.now();
      const response = await fetch(url, { cache: 'no-store' });
      const text = await response.text();
      const fetched = performance.now();
      events = JSON.parse(text);
      return { count: events.length, fetchMs: fetched - started, parseMs: performance.now() - fetched };
    },

    // Time to first frame: construct the Replayer and show offset 0.
    firstFrame() {
      const started = performance.now();
      replayer = new window.rrwebReplay.Replayer(events, {
        root: document.getElementById('root'),
        showWarning: false,
        showDebug: false,
      });
      replayer.pause(0);
      return result(started);
    },

    seek(offsetMs) {
      const started = performance.now();
      replayer.pause(offsetMs);
      return result(started);
    },

    destroy() {
      if (replayer) replayer.destroy();
      replayer = null;
      events = null;
    },
  };
})();
