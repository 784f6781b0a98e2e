/*
 * Tapeview tracking code: records visits to a website with rrweb and sends them to a Tapeview
 * server's ingest endpoint (app/server/API.md, "Ingest"). Plain ES2017, no build step.
 *
 *   <script src="/js/rrweb.umd.min.cjs"></script>   rrweb 2.x's UMD build (defines `rrweb`)
 *   <script src="/js/tapeview.js"></script>
 *   <script>
 *     tapeview.init({projectKey: "tvk_...", endpoint: "https://tapeview.example/api/v1/ingest"});
 *   </script>
 *
 * window.tapeview:
 *   init(options)         start recording and sending (once per page; again only after stop())
 *   identify(uid, props)  who the visitor is: an rrweb custom event {tag: "identify",
 *                         payload: {uid, ...props}}; `name` and `email` in props are shown as
 *                         the visitor's identity
 *   track(name, props)    a custom event {tag: name, payload: props}
 *   stop()                stop recording; what was recorded is still sent
 *   ids()                 {visitorId, sessionId, windowId} once started, else null (e.g. to put
 *                         a link to the session into a support ticket)
 * identify() and track() called before init() are kept, with their time, and sent after it.
 *
 * Options (default in brackets):
 *   projectKey            required: the project's write-only key (tvk_...)
 *   endpoint              required: the ingest URL, https://<server>/api/v1/ingest
 *   maskAllInputs         [true] every input, select and textarea value is recorded as `*`s
 *   maskInputOptions      [{password: true}] per input type, used when maskAllInputs is false;
 *                         passwords are masked whatever this says
 *   blockClass            ['tv-block'] elements with this class are recorded as an empty box
 *   blockSelector         [null] the same by CSS selector
 *   maskTextClass         ['tv-mask'] text inside elements with this class is recorded as `*`s
 *   maskTextSelector      [null] the same by CSS selector
 *   ignoreClass           ['tv-ignore'] input into these elements is not recorded at all
 *   inlineStylesheet      [true] stylesheets go into the recording (replays need no live site)
 *   inlineImages          [false] images are not copied into the recording
 *   recordCanvas          [false], collectFonts [false]
 *   sampling              [{mousemove: 50, mousemoveCallback: 500, scroll: 150, media: 800}]
 *   rrwebOptions          [{}] any other rrweb.record() option, passed through as is
 *   captureErrors         [true] uncaught errors and unhandled promise rejections
 *   captureConsoleErrors  [false] console.error() calls too (their arguments may hold
 *                         personal data, so this is opt-in)
 *   captureNavigation     [true] URL changes of single-page apps (History API, hash), as
 *                         custom events {tag: '$url_changed', payload: {href}}: rrweb only
 *                         records a page's URL with a full snapshot
 *   flushIntervalMs       [2000] how often buffered events are sent
 *   maxBatchEvents        [1000], maxBatchBytes [1 MiB]: send at once when the buffer is larger
 *   maxQueueBytes         [10 MiB] what is kept while the server cannot be reached; beyond it
 *                         new events are dropped, and recording resumes with a fresh snapshot
 *   retryMinMs            [1000], retryMaxMs [30000]: backoff between attempts
 *   compress              [true] gzip batches where the browser has CompressionStream
 *
 * Privacy: input masking happens here, in the browser, so typed values never leave it; the
 * server then applies the project's policy on top (e-mail addresses and digits in page text,
 * selector rules) before anything is stored.
 */
(function (global) {
  'use strict';

  if (global.tapeview && global.tapeview.version) return; // included twice: keep the first

  // The server's rule (API.md), mirrored so a tab's session id changes when the server would
  // cut the session anyway: a session ends after 15 minutes without events or 60 in all.
  const SESSION_IDLE_MS = 15 * 60 * 1000;
  const SESSION_MAX_MS = 60 * 60 * 1000;
  // Browsers refuse keepalive requests and beacons above 64 KiB (in flight, per page).
  const BEACON_MAX_BYTES = 60 * 1024;
  const MIN_GZIP_BYTES = 1024; // below this gzip saves less than it costs
  const REFERRER_MAX = 2000; // the server refuses longer referrers
  const CARRY_MAX_CHARS = 2 * 1024 * 1024; // unsent batches kept for the tab's next page
  const MAX_TRACE_FRAMES = 30;
  const MAX_MESSAGE = 2000;
  // This file's URL, to leave our own frames out of the traces of console.error() calls.
  const SCRIPT_URL = document.currentScript ? document.currentScript.src : '';

  const EventType = {FullSnapshot: 2, IncrementalSnapshot: 3, Meta: 4, Custom: 5, Plugin: 6};
  // Incremental sources that change the DOM or its styles; a new snapshot already shows them.
  const DOM_SOURCES = [0 /* Mutation */, 8 /* StyleSheetRule */, 9 /* CanvasMutation */,
    13 /* StyleDeclaration */, 15 /* AdoptedStyleSheet */];
  // The plugin name and payload shape of rrweb's console recorder, which importers, the
  // server's event index (app/core/analytics/extract.py) and rrweb's console replayer read.
  const CONSOLE_PLUGIN = 'rrweb/console@1';

  const KEYS = {visitor: 'tapeview.visitor', session: 'tapeview.session',
    carry: 'tapeview.unsent'};
  const VISITOR_COOKIE = 'tapeview_visitor';

  const DEFAULTS = {
    projectKey: null,
    endpoint: null,
    maskAllInputs: true,
    maskInputOptions: {password: true},
    blockClass: 'tv-block',
    blockSelector: null,
    maskTextClass: 'tv-mask',
    maskTextSelector: null,
    ignoreClass: 'tv-ignore',
    inlineStylesheet: true,
    inlineImages: false,
    recordCanvas: false,
    collectFonts: false,
    // rrweb's mouse-move sampling; scroll and media events less often than its 100 and
    // 500 ms, which a replay does not show. (Not `input: 'last'`: it records values on
    // `change` only, losing what was typed into a field the visitor never left.)
    sampling: {mousemove: 50, mousemoveCallback: 500, scroll: 150, media: 800},
    rrwebOptions: {},
    captureErrors: true,
    captureConsoleErrors: false,
    captureNavigation: true,
    flushIntervalMs: 2000,
    maxBatchEvents: 1000,
    maxBatchBytes: 1024 * 1024,
    maxQueueBytes: 10 * 1024 * 1024,
    retryMinMs: 1000,
    retryMaxMs: 30000,
    compress: true,
  };

  let tracker = null; // the running tracker, from init() to stop()
  const early = []; // events from identify()/track() before init()
  const warned = {};

  function warn(key, message, detail) {
    if (warned[key]) return; // once per kind: a broken setup must not flood the console
    warned[key] = true;
    if (global.console && console.warn) console.warn('tapeview: ' + message, detail || '');
  }

  // -- ids ------------------------------------------------------------------------------------

  function randomId() {
    const bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, b => (b + 256).toString(16).slice(1)).join('');
  }

  // Storage can be missing or throw (privacy modes, sandboxed frames, full quota).
  function storage(kind) {
    try {
      const store = global[kind];
      const probe = KEYS.visitor + '.probe';
      store.setItem(probe, '1');
      store.removeItem(probe);
      return store;
    } catch (error) {
      return null;
    }
  }

  function readItem(store, key) {
    try {
      return store ? store.getItem(key) : null;
    } catch (error) {
      return null;
    }
  }

  function writeItem(store, key, value) {
    try {
      if (!store) return false;
      if (value === null) store.removeItem(key);
      else store.setItem(key, value);
      return true;
    } catch (error) {
      return false;
    }
  }

  function readCookie(name) {
    const match = document.cookie.match(new RegExp('(?:^|; )' + name + '=([0-9a-f]{32})'));
    return match ? match[1] : null;
  }

  // The visitor id outlives the tab: localStorage, else a first-party cookie, else this page.
  function visitorId() {
    const local = storage('localStorage');
    let id = readItem(local, KEYS.visitor) || readCookie(VISITOR_COOKIE);
    if (!id || !/^[0-9a-f]{32}$/.test(id)) id = randomId();
    if (!writeItem(local, KEYS.visitor, id)) {
      const secure = location.protocol === 'https:' ? '; Secure' : '';
      document.cookie = VISITOR_COOKIE + '=' + id + '; Max-Age=31536000; Path=/; SameSite=Lax' +
        secure;
    }
    return id;
  }

  // The session and the tab (window) id live in sessionStorage: one tab, across its pages.
  function loadSession(store, now) {
    let saved = null;
    try {
      saved = JSON.parse(readItem(store, KEYS.session) || 'null');
    } catch (error) {
      saved = null;
    }
    const valid = saved && typeof saved.id === 'string' && typeof saved.window === 'string' &&
      typeof saved.start === 'number' && typeof saved.last === 'number';
    const session = valid ? saved : {id: randomId(), window: randomId(), start: now, last: now};
    if (valid && expired(session, now)) renew(session, now);
    return session;
  }

  function expired(session, ts) {
    return ts - session.last > SESSION_IDLE_MS || ts - session.start >= SESSION_MAX_MS;
  }

  function renew(session, ts) {
    session.id = randomId();
    session.start = ts;
    session.last = ts;
  }

  function saveSession(t) {
    writeItem(t.sessionStore, KEYS.session, JSON.stringify(t.session));
    t.sessionSaved = t.session.last;
  }

  // -- events in ------------------------------------------------------------------------------

  function utf8Length(text) {
    let bytes = text.length;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) bytes += code > 0x7ff ? 2 : 1; // surrogate pairs overcount: harmless
    }
    return bytes;
  }

  // Every event, rrweb's or ours, comes through here, in the order it happened.
  function record(t, event, fromRrweb) {
    if (t !== tracker) return;
    const session = t.session;
    if (expired(session, event.timestamp)) {
      // The server would start a new session here. Send what belongs to the old one, then
      // continue under a new id; a new session must begin with a snapshot of the page, so take
      // one now unless rrweb is about to (a Meta event starts its own snapshot).
      flush(t);
      renew(session, event.timestamp);
      saveSession(t);
      if (event.type !== EventType.Meta && event.type !== EventType.FullSnapshot &&
          snapshot(t)) {
        // Changes to the DOM are in that snapshot already; anything else follows it.
        if (fromRrweb && event.type === EventType.IncrementalSnapshot &&
            DOM_SOURCES.indexOf(event.data.source) >= 0) return;
        event.timestamp = Math.max(event.timestamp, t.lastTimestamp);
      }
    }
    let json;
    try {
      json = JSON.stringify(event);
    } catch (error) {
      warn('json', 'an event could not be serialised (props must be plain JSON):', error);
      return;
    }
    const bytes = utf8Length(json);
    if (t.overflowed || queuedBytes(t) + bytes > t.config.maxQueueBytes) {
      // The server has been out of reach for long: keep what is queued, drop what is new,
      // and snapshot again once there is room (see sent()).
      if (!t.overflowed) warn('overflow', 'the server cannot be reached; recording paused');
      t.overflowed = true;
      return;
    }
    t.buffer.push([json, bytes]);
    t.bufferBytes += bytes;
    t.lastTimestamp = Math.max(t.lastTimestamp, event.timestamp);
    session.last = Math.max(session.last, event.timestamp);
    if (session.last - t.sessionSaved > 1000) saveSession(t); // not on every mouse move
    // A full snapshot begins what can be replayed: send it at once, so that the page (and a
    // new session's first batch) reaches the server before anything that could overtake it
    // (a beacon when the visitor leaves soon after).
    if (event.type === EventType.FullSnapshot || t.buffer.length >= t.config.maxBatchEvents ||
        t.bufferBytes >= t.config.maxBatchBytes) {
      flush(t);
    }
  }

  function snapshot(t) {
    if (!t.recording || !global.rrweb.record.takeFullSnapshot) return false;
    try {
      global.rrweb.record.takeFullSnapshot(true); // emits Meta and FullSnapshot through record()
      return true;
    } catch (error) {
      return false; // rrweb has not started yet: its first snapshot is still to come
    }
  }

  function customEvent(tag, payload) {
    return {type: EventType.Custom, timestamp: Date.now(), data: {tag: tag, payload: payload}};
  }

  function emitCustom(event) {
    if (tracker) record(tracker, event, false);
    else if (early.length < 100) early.push(event);
    else warn('early', 'identify()/track() called 100 times before init(); later calls dropped');
  }

  // -- errors ---------------------------------------------------------------------------------

  // One console argument as rrweb's console recorder writes it: JSON text of the value (so a
  // string keeps its quotes), an Error as "Name: message", anything unserialisable as text.
  function logText(value) {
    if (value instanceof Error) value = value.name + ': ' + value.message;
    if (typeof value === 'string') return JSON.stringify(value.slice(0, MAX_MESSAGE));
    let text;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      text = undefined; // cyclic, or a BigInt
    }
    if (text === undefined) return JSON.stringify(String(value).slice(0, MAX_MESSAGE));
    return text.length > MAX_MESSAGE ? JSON.stringify(text.slice(0, MAX_MESSAGE)) : text;
  }

  // Stack frames as rrweb's console recorder lists them ("fn (url:line:col)").
  function stackTrace(error) {
    const stack = error && typeof error.stack === 'string' ? error.stack : '';
    return stack.split('\n')
      .map(line => line.trim())
      .filter(line => /^at /.test(line) || /@.*:\d+/.test(line))
      .map(line => line.replace(/^at /, ''))
      .slice(0, MAX_TRACE_FRAMES);
  }

  // The event rrweb's console plugin emits; the server counts level "error" as an error.
  function consoleEvent(level, values, trace) {
    return {
      type: EventType.Plugin,
      timestamp: Date.now(),
      data: {plugin: CONSOLE_PLUGIN,
        payload: {level: level, trace: trace, payload: values.map(logText)}},
    };
  }

  function watchErrors(t) {
    const onError = event => {
      // Errors of elements (an image that failed) do not reach window listeners: this is a
      // script error. Cross-origin scripts give only "Script error." and no stack.
      const message = event.message || event.error || 'Script error.';
      record(t, consoleEvent('error', [message], stackTrace(event.error)), false);
    };
    const onRejection = event => {
      const reason = event.reason;
      const values = reason instanceof Error
        ? ['Uncaught (in promise) ' + reason.name + ': ' + reason.message]
        : ['Uncaught (in promise)', reason];
      record(t, consoleEvent('error', values, stackTrace(reason)), false);
    };
    // Listeners, not window.onerror: the site's own handlers stay as they are.
    global.addEventListener('error', onError);
    global.addEventListener('unhandledrejection', onRejection);
    t.cleanups.push(() => {
      global.removeEventListener('error', onError);
      global.removeEventListener('unhandledrejection', onRejection);
    });
  }

  // -- single-page navigations ----------------------------------------------------------------

  // An SPA changes its URL with the History API (or the hash) and no new page load, so rrweb
  // records no new Meta event and the visit would look like one page. Each change becomes a
  // custom event under PostHog's tag for it, which the events index reads as a pageview.
  function watchNavigation(t) {
    let last = global.location.href;
    const changed = () => {
      const href = global.location.href;
      if (href === last) return;
      last = href;
      record(t, customEvent('$url_changed', {href: href}), false);
    };
    ['pushState', 'replaceState'].forEach(name => {
      const original = global.history[name];
      if (typeof original !== 'function') return;
      const wrapper = function () {
        const result = original.apply(this, arguments);
        changed();
        return result;
      };
      global.history[name] = wrapper;
      t.cleanups.push(() => {
        if (global.history[name] === wrapper) global.history[name] = original;
      });
    });
    listen(t, global, 'popstate', changed);
    listen(t, global, 'hashchange', changed);
  }

  function watchConsole(t) {
    const original = console.error;
    let inside = false;
    const wrapper = function () {
      if (!inside) { // a console.error from our own code must not loop
        inside = true;
        try {
          const args = Array.prototype.slice.call(arguments);
          const error = args.find(arg => arg instanceof Error);
          const trace = stackTrace(error || new Error())
            .filter(frame => !SCRIPT_URL || frame.indexOf(SCRIPT_URL) < 0);
          record(t, consoleEvent('error', args, trace), false);
        } finally {
          inside = false;
        }
      }
      return original.apply(this, arguments);
    };
    console.error = wrapper;
    t.cleanups.push(() => {
      if (console.error === wrapper) console.error = original; // unless someone wrapped us
    });
  }

  // -- batches out ----------------------------------------------------------------------------

  function queuedBytes(t) {
    return t.bufferBytes + t.pending.reduce((sum, batch) => sum + batch.bytes, 0);
  }

  function referrer() {
    return document.referrer ? document.referrer.slice(0, REFERRER_MAX) : null;
  }

  // A batch is fixed once made: a retry sends the same ids and events, which the server
  // recognises and stores once even if an earlier attempt did arrive.
  function makeBatch(t, events, bytes) {
    return {visitorId: t.visitorId, sessionId: t.session.id, windowId: t.session.window,
      referrer: referrer(), events: events, bytes: bytes, payload: null};
  }

  function body(batch) {
    return '{"visitor_id":' + JSON.stringify(batch.visitorId) +
      ',"session_id":' + JSON.stringify(batch.sessionId) +
      ',"window_id":' + JSON.stringify(batch.windowId) +
      ',"referrer":' + JSON.stringify(batch.referrer) +
      ',"events":[' + batch.events.join(',') + ']}';
  }

  // Cut the buffer into batches of at most `limit` bytes (one event may exceed it alone).
  function takeBuffer(t, limit) {
    const batches = [];
    let events = [];
    let bytes = 0;
    for (const entry of t.buffer) {
      const json = entry[0];
      const size = entry[1];
      if (events.length && bytes + size > limit) {
        batches.push(makeBatch(t, events, bytes));
        events = [];
        bytes = 0;
      }
      events.push(json);
      bytes += size;
    }
    if (events.length) batches.push(makeBatch(t, events, bytes));
    t.buffer = [];
    t.bufferBytes = 0;
    return batches;
  }

  function flush(t) {
    if (!t.buffer.length) return;
    Array.prototype.push.apply(t.pending, takeBuffer(t, t.config.maxBatchBytes));
    pump(t);
  }

  async function encode(t, batch) {
    const text = body(batch);
    if (!t.config.compress || typeof CompressionStream !== 'function' ||
        text.length < MIN_GZIP_BYTES) {
      return {data: text, gzip: false};
    }
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return {data: new Uint8Array(await new Response(stream).arrayBuffer()), gzip: true};
  }

  // Send the oldest batch, one request at a time, so batches arrive in the order recorded.
  async function pump(t) {
    if (t.refused) t.pending = [];
    if (t.sending || t.retryTimer || !t.pending.length) return;
    const batch = t.pending[0];
    t.sending = true;
    let outcome = 'gone';
    try {
      if (!batch.payload) batch.payload = await encode(t, batch);
      if (t.pending[0] === batch) { // else it went as a beacon while being compressed
        const payload = batch.payload;
        const headers = {'Content-Type': 'application/json',
          'X-Project-Key': t.config.projectKey};
        if (payload.gzip) headers['Content-Encoding'] = 'gzip';
        // keepalive lets a request finish after the page is gone; browsers allow it for small
        // bodies only.
        const keepalive = (payload.gzip ? payload.data.byteLength : batch.bytes) <=
          BEACON_MAX_BYTES;
        t.fetching = keepalive ? 'keepalive' : 'plain';
        const response = await fetch(t.config.endpoint, {method: 'POST', headers: headers,
          body: payload.data, credentials: 'omit', keepalive: keepalive});
        outcome = response.ok ? 'sent' : classify(response);
      }
    } catch (error) {
      outcome = {retry: null}; // the network or the server is down: try again later
    }
    t.sending = false;
    t.fetching = null;
    if (outcome === 'gone' || t.pending[0] !== batch) {
      pump(t);
    } else if (outcome === 'refused') {
      // 401: the project key is wrong or was revoked. Every later batch would be refused too.
      warn('key', 'the server refused the project key; recording stopped');
      t.refused = true;
      if (tracker === t) stop();
      t.pending = [];
    } else if (outcome === 'sent' || outcome === 'drop') {
      t.pending.shift();
      t.retryDelay = 0;
      if (outcome === 'sent') sent(t);
      pump(t);
    } else if (outcome === 'split') {
      // 413: too large for the server. Halve it; a single event that large cannot go at all.
      t.pending.shift();
      if (batch.events.length > 1) {
        const half = Math.ceil(batch.events.length / 2);
        t.pending.unshift(part(batch, batch.events.slice(0, half)),
          part(batch, batch.events.slice(half)));
      } else {
        warn('large', 'an event is larger than the server accepts; it was dropped');
      }
      pump(t);
    } else {
      retryLater(t, outcome.retry);
    }
  }

  function part(batch, events) {
    const bytes = events.reduce((sum, json) => sum + utf8Length(json), 0);
    return Object.assign({}, batch, {events: events, bytes: bytes, payload: null});
  }

  function classify(response) {
    const status = response.status;
    if (status === 429 || status === 408 || status >= 500) {
      const after = Number(response.headers.get('Retry-After'));
      return {retry: after > 0 ? after * 1000 : null};
    }
    if (status === 413) return 'split';
    if (status === 401) return 'refused';
    // 400, 415, 422: this batch will never be accepted; say why once and go on.
    response.text().then(text => warn('refused' + status, 'the server refused a batch (' +
      status + '):', text), () => {});
    return 'drop';
  }

  function retryLater(t, wanted) {
    const cfg = t.config;
    t.retryDelay = Math.min(cfg.retryMaxMs, t.retryDelay ? t.retryDelay * 2 : cfg.retryMinMs);
    const delay = Math.max(wanted || 0, t.retryDelay * (0.8 + Math.random() * 0.4)); // jitter
    t.retryTimer = setTimeout(() => {
      t.retryTimer = 0;
      pump(t);
    }, delay);
  }

  function sent(t) {
    // Recording paused for lack of room: once the queue has drained to half, go on with a
    // snapshot, so what is recorded from here replays on its own.
    if (t.overflowed && queuedBytes(t) < t.config.maxQueueBytes / 2) {
      t.overflowed = false;
      snapshot(t);
    }
  }

  // The page is being hidden or left: timers and fetches may never run again. Beacons are
  // queued by the browser and sent even after the page is gone (plain JSON: gzip is async).
  function flushByBeacon(t, leaving) {
    Array.prototype.push.apply(t.pending, takeBuffer(t, BEACON_MAX_BYTES));
    const url = t.config.endpoint + (t.config.endpoint.indexOf('?') >= 0 ? '&' : '?') +
      'key=' + encodeURIComponent(t.config.projectKey);
    const canBeacon = typeof navigator.sendBeacon === 'function';
    // The oldest batch may be on its way by fetch already.
    let index = t.fetching ? 1 : 0;
    while (canBeacon && index < t.pending.length && t.pending[index].bytes <= BEACON_MAX_BYTES) {
      // text/plain: a beacon with that type needs no CORS preflight; the server reads JSON.
      if (!navigator.sendBeacon(url, body(t.pending[index]))) break; // browser quota full
      t.pending.splice(index, 1);
    }
    // A keepalive fetch finishes after the page is gone; any other is cancelled with it.
    if (leaving) carryOver(t, t.fetching === 'keepalive' ? 1 : 0);
  }

  // What could not go as a beacon (too large, or over the browser's quota) waits in this
  // tab's sessionStorage and is sent by the site's next page in this tab.
  function carryOver(t, from) {
    const left = t.pending.slice(from).map(batch => ({visitorId: batch.visitorId,
      sessionId: batch.sessionId, windowId: batch.windowId, referrer: batch.referrer,
      events: batch.events, bytes: batch.bytes}));
    if (!left.length) return;
    const saved = JSON.stringify(left);
    if (saved.length <= CARRY_MAX_CHARS) writeItem(t.sessionStore, KEYS.carry, saved);
  }

  function takeCarried(t) {
    const saved = readItem(t.sessionStore, KEYS.carry);
    writeItem(t.sessionStore, KEYS.carry, null);
    try {
      const batches = JSON.parse(saved || '[]');
      return Array.isArray(batches) ? batches.filter(batch => batch &&
        Array.isArray(batch.events) && typeof batch.visitorId === 'string').map(batch =>
        Object.assign(batch, {payload: null})) : [];
    } catch (error) {
      return [];
    }
  }

  // -- recording ------------------------------------------------------------------------------

  function recordOptions(t) {
    const cfg = t.config;
    // maskAllInputs aside, passwords are masked whatever the options say.
    const maskInputOptions = Object.assign({}, cfg.maskInputOptions, {password: true});
    return Object.assign({}, cfg.rrwebOptions, {
      emit: event => record(t, event, true),
      maskAllInputs: cfg.maskAllInputs,
      maskInputOptions: maskInputOptions,
      blockClass: cfg.blockClass,
      blockSelector: cfg.blockSelector,
      maskTextClass: cfg.maskTextClass,
      maskTextSelector: cfg.maskTextSelector,
      ignoreClass: cfg.ignoreClass,
      inlineStylesheet: cfg.inlineStylesheet,
      inlineImages: cfg.inlineImages,
      recordCanvas: cfg.recordCanvas,
      collectFonts: cfg.collectFonts,
      sampling: Object.assign({}, cfg.sampling),
      // rrweb's cross-origin iframe support posts events to the parent; this tracker records
      // the top page and its same-origin frames only.
      recordCrossOriginIframes: false,
    });
  }

  function startRecording(t) {
    if (!global.rrweb || typeof global.rrweb.record !== 'function') {
      warn('rrweb', 'rrweb is not loaded (include its UMD build before tapeview.js): ' +
        'only identify(), track() and errors are sent');
      return;
    }
    const stopRecording = global.rrweb.record(recordOptions(t));
    if (typeof stopRecording !== 'function') {
      warn('record', 'rrweb could not start recording');
      return;
    }
    t.recording = true;
    t.cleanups.push(() => {
      t.recording = false;
      stopRecording();
    });
  }

  function listen(t, target, type, handler) {
    target.addEventListener(type, handler);
    t.cleanups.push(() => target.removeEventListener(type, handler));
  }

  // -- the API --------------------------------------------------------------------------------

  function init(options) {
    if (tracker) {
      warn('init', 'init() was called again; call stop() first to start over');
      return;
    }
    const cfg = Object.assign({}, DEFAULTS, options || {});
    if (typeof cfg.projectKey !== 'string' || !cfg.projectKey ||
        typeof cfg.endpoint !== 'string' || !cfg.endpoint) {
      warn('options', 'init() needs {projectKey, endpoint}');
      return;
    }
    const sessionStore = storage('sessionStorage');
    const now = Date.now();
    const t = tracker = {
      config: cfg, sessionStore: sessionStore, visitorId: visitorId(),
      session: loadSession(sessionStore, now), sessionSaved: 0,
      buffer: [], bufferBytes: 0, pending: [], sending: false, fetching: null, retryTimer: 0,
      retryDelay: 0,
      lastTimestamp: 0, overflowed: false, refused: false, recording: false, cleanups: [],
    };
    saveSession(t);
    t.pending = takeCarried(t);

    // Calls made before init(): their events come first, with the time they were made.
    early.splice(0).forEach(event => record(t, event, false));
    if (cfg.captureErrors) watchErrors(t);
    if (cfg.captureConsoleErrors) watchConsole(t);
    startRecording(t);
    if (cfg.captureNavigation) watchNavigation(t);

    const timer = setInterval(() => flush(t), cfg.flushIntervalMs);
    t.cleanups.push(() => clearInterval(timer));
    listen(t, document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') {
        saveSession(t);
        flushByBeacon(t, false);
      }
    });
    listen(t, global, 'pagehide', () => {
      saveSession(t);
      flushByBeacon(t, true);
    });
    listen(t, global, 'pageshow', event => {
      // Back from the back/forward cache: this page sends its batches itself after all.
      if (event.persisted) writeItem(t.sessionStore, KEYS.carry, null);
    });
    listen(t, global, 'online', () => { // back online: retry now rather than after the backoff
      if (t.retryTimer) {
        clearTimeout(t.retryTimer);
        t.retryTimer = 0;
      }
      pump(t);
    });
    pump(t); // batches carried over from the previous page
  }

  function identify(uid, props) {
    if (uid === undefined || uid === null || uid === '') {
      warn('identify', 'identify() needs a user id');
      return;
    }
    const payload = Object.assign({}, props || {}, {uid: String(uid)});
    emitCustom(customEvent('identify', payload));
  }

  function track(name, props) {
    if (typeof name !== 'string' || !name || name === 'identify') {
      warn('track', 'track() needs an event name (and "identify" is taken by identify())');
      return;
    }
    emitCustom(customEvent(name, Object.assign({}, props || {})));
  }

  function stop() {
    const t = tracker;
    if (!t) return;
    t.cleanups.splice(0).reverse().forEach(cleanup => cleanup());
    saveSession(t);
    flush(t);
    tracker = null;
    // Batches still pending keep being sent: pump() holds `t`, not `tracker`.
  }

  function ids() {
    return tracker ? {visitorId: tracker.visitorId, sessionId: tracker.session.id,
      windowId: tracker.session.window} : null;
  }

  global.tapeview = {version: '1', init: init, identify: identify, track: track, stop: stop,
    ids: ids};
})(window);
