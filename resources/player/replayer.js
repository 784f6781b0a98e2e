// Tapeview's replay engine: rebuilds a recorded page from rrweb events inside a sandboxed
// iframe. Written from rrweb's documented event format; it never runs anything the recording
// holds: scripts become inert <template>s, event-handler attributes and script URLs are
// dropped, and every resource URL is rewritten to the local asset scheme.
//
// The host (Python) decides which events to apply and when: `reset(events)` rebuilds from a
// full snapshot (a checkpoint) and `apply(events)` plays changes forward. Timing, seeking and
// checkpoints live on the Python side, so this file only has to be exact, not clever.
'use strict';

(function () {
  const T = { DomContentLoaded: 0, Load: 1, FullSnapshot: 2, Incremental: 3, Meta: 4, Custom: 5, Plugin: 6 };
  const S = {
    Mutation: 0, MouseMove: 1, MouseInteraction: 2, Scroll: 3, ViewportResize: 4, Input: 5,
    TouchMove: 6, MediaInteraction: 7, StyleSheetRule: 8, CanvasMutation: 9, Font: 10, Log: 11,
    Drag: 12, StyleDeclaration: 13, Selection: 14, AdoptedStyleSheet: 15, CustomElement: 16,
  };
  const MI = { MouseUp: 0, MouseDown: 1, Click: 2, ContextMenu: 3, DblClick: 4, Focus: 5, Blur: 6, TouchStart: 7, TouchEnd: 9 };
  const N = { Document: 0, DocumentType: 1, Element: 2, Text: 3, CDATA: 4, Comment: 5 };
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const XLINK_NS = 'http://www.w3.org/1999/xlink';
  const URL_ATTRIBUTES = new Set(['src', 'href', 'poster', 'background', 'xlink:href', 'data', 'action', 'formaction', 'cite', 'longdesc', 'manifest', 'icon']);
  // Elements whose URLs would fetch, run or navigate: their URL attributes are dropped.
  const NEVER_LOAD = new Set(['script', 'iframe', 'frame', 'object', 'embed', 'applet', 'portal', 'base', 'form']);
  const LINK_RELS_KEPT = new Set(['stylesheet']);
  const PLAYER_CSS = 'noscript { display: none !important; } ' +
    '[data-tv-blocked] { background: repeating-linear-gradient(45deg, #d8d8d8 0 8px, #c4c4c4 8px 16px) !important; ' +
    'display: inline-block; } ' +
    '*, *::before, *::after { animation-play-state: paused !important; caret-color: transparent !important; }';

  function isUnsafeUrl(value) {
    const v = String(value).replace(/[\u0000-\u0020\u007f]+/g, '').toLowerCase();
    return v.startsWith('javascript:') || v.startsWith('vbscript:') || v.startsWith('data:text/html') ||
      v.startsWith('data:application/xhtml') || v.startsWith('data:image/svg+xml');
  }

  class Replayer {
    constructor(frame, cursor, rippleLayer) {
      this.frame = frame;
      this.cursor = cursor;
      this.rippleLayer = rippleLayer;
      this.nodes = new Map();        // rrweb id -> live DOM node
      this.sheets = new Map();       // adopted stylesheet id -> CSSStyleSheet
      this.href = 'about:blank';
      this.width = 1024;
      this.height = 768;
      this.errors = 0;
      this.onResize = null;
      this.pointerAt = -Infinity;  // recording time of the pointer position shown
      this.assetPrefix = 'tvasset://asset/?u=';  // the host names the view (see configure)
      this.scrollRestores = [];
      this.deferredScrolls = null;
    }

    // --- entry points ------------------------------------------------------------------------

    reset(events) {
      this.pointerAt = -Infinity;
      this.nodes.clear();
      this.sheets.clear();
      // A snapshot in the events clears the page itself; clearing twice costs a layout.
      if (!events.some((event) => event.type === T.FullSnapshot)) {
        this.clearDocument(this.frame.contentDocument, true);
      }
      this.apply(events, true);
    }

    apply(events, instant) {
      // Played instantly (a seek), scroll positions are set once at the end: setting each
      // one as it comes forces a layout after every mutation before it.
      this.deferredScrolls = instant ? new Map() : null;
      for (const event of events) {
        try {
          this.applyEvent(event, instant);
        } catch (error) {
          this.errors += 1;  // one odd event must not stop the replay
          if (this.errors < 20) console.warn('tapeview: could not apply event', event.type, error && error.message);
        }
      }
      const scrolls = this.deferredScrolls;
      this.deferredScrolls = null;
      if (scrolls) for (const [node, [x, y]] of scrolls) this.scrollNode(node, x, y);
    }

    applyEvent(event, instant) {
      const data = event.data || {};
      switch (event.type) {
        case T.Meta:
          if (data.href) this.href = data.href;
          if (data.width && data.height) this.resize(data.width, data.height);
          break;
        case T.FullSnapshot:
          this.buildSnapshot(data);
          break;
        case T.Incremental:
          this.applyIncremental(data, instant, event.timestamp);
          break;
        default:
          break;
      }
    }

    resize(width, height) {
      this.width = width;
      this.height = height;
      this.frame.style.width = width + 'px';
      this.frame.style.height = height + 'px';
      if (this.onResize) this.onResize(width, height);
    }

    // --- full snapshots ----------------------------------------------------------------------

    clearDocument(doc, standards) {
      doc.open();
      doc.write(standards ? '<!DOCTYPE html><html><head></head><body></body></html>' : '<html><head></head><body></body></html>');
      doc.close();
      return doc;
    }

    buildSnapshot(data) {
      this.nodes.clear();
      this.sheets.clear();
      const root = data.node;
      if (!root) return;
      const doc = this.frame.contentDocument;
      this.buildDocumentInto(doc, root);
      const offset = data.initialOffset || {};
      this.scrollTo(doc, offset.left || 0, offset.top || 0);
    }

    buildDocumentInto(doc, serialized) {
      const standards = serialized.compatMode !== 'BackCompat' &&
        (serialized.compatMode === 'CSS1Compat' || (serialized.childNodes || []).some((c) => c.type === N.DocumentType));
      this.clearDocument(doc, standards);
      while (doc.firstChild) doc.removeChild(doc.firstChild);
      this.nodes.set(serialized.id, doc);
      for (const child of serialized.childNodes || []) {
        const node = this.build(child, doc, false);
        if (node && !(node.nodeType === 10 && doc.doctype)) doc.appendChild(node);
      }
      this.injectPlayerStyle(doc);
      this.afterBuild();  // iframes inside get their documents now that they are attached
    }

    injectPlayerStyle(doc) {
      const head = doc.head || doc.documentElement;
      if (!head) return;
      const style = doc.createElement('style');
      style.setAttribute('data-tv-player', '');
      style.textContent = PLAYER_CSS;
      head.appendChild(style);
    }

    // Build a serialized node (and its subtree) as live DOM in `doc`.
    build(serialized, doc, inSvg) {
      let node = null;
      switch (serialized.type) {
        case N.Document: {
          // An iframe's document: built when the iframe element is in place (see addNode).
          return null;
        }
        case N.DocumentType:
          node = doc.implementation.createDocumentType(serialized.name || 'html', serialized.publicId || '', serialized.systemId || '');
          break;
        case N.Element:
          node = this.buildElement(serialized, doc, inSvg);
          break;
        case N.Text:
          node = doc.createTextNode(this.textFor(serialized));
          break;
        case N.CDATA:
        case N.Comment:
          node = doc.createComment(serialized.textContent || '');
          break;
        default:
          return null;
      }
      if (serialized.id !== undefined) {
        this.nodes.set(serialized.id, node);
        node.__tvId = serialized.id;
      }
      if (serialized.type === N.Element) {
        const svg = inSvg || serialized.isSVG || serialized.tagName === 'svg';
        for (const child of serialized.childNodes || []) this.appendBuilt(node, child, doc, svg);
      }
      return node;
    }

    appendBuilt(parent, child, doc, inSvg) {
      if (child.type === N.Document) {
        this.pendingDocs = this.pendingDocs || [];
        this.pendingDocs.push([parent, child]);
        return;
      }
      const built = this.build(child, doc, inSvg);
      if (!built) return;
      (child.isShadow && parent.shadowRoot ? parent.shadowRoot : parent).appendChild(built);
    }

    afterBuild() {
      // Iframe documents can only be written once their <iframe> is in a document.
      const pending = this.pendingDocs || [];
      this.pendingDocs = [];
      for (const [iframe, serialized] of pending) this.buildIframeDocument(iframe, serialized);
      this.restoreElementState();
    }

    buildIframeDocument(iframe, serialized) {
      if (iframe.contentDocument) this.buildDocumentInto(iframe.contentDocument, serialized);
    }

    buildElement(serialized, doc, inSvg) {
      let tag = String(serialized.tagName || 'div').toLowerCase();
      const attributes = serialized.attributes || {};
      if (tag === 'script') tag = 'template';  // inert: never rendered, never run
      if (tag === 'link' && attributes._cssText !== undefined) tag = 'style';
      const svg = inSvg || serialized.isSVG || tag === 'svg';
      let element;
      try {
        element = svg && tag !== 'foreignobject' ? doc.createElementNS(SVG_NS, tag) : doc.createElement(tag);
      } catch (error) {
        element = doc.createElement('span');
      }
      if (serialized.isShadowHost && element.attachShadow) {
        try { element.attachShadow({ mode: 'open' }); } catch (error) { /* not a valid host */ }
      }
      this.setAttributes(element, tag, attributes, true);
      if (tag === 'style' && attributes._cssText !== undefined) {
        element.textContent = this.rewriteCss(String(attributes._cssText));
      }
      return element;
    }

    textFor(serialized) {
      const text = serialized.textContent || '';
      return serialized.isStyle ? this.rewriteCss(text) : text;
    }

    setAttributes(element, tag, attributes, initial) {
      for (const [name, value] of Object.entries(attributes)) {
        this.setAttribute(element, tag, name, value, initial);
      }
    }

    setAttribute(element, tag, name, value, initial) {
      const lower = name.toLowerCase();
      if (value === null || value === undefined || value === false) {
        if (!lower.startsWith('rr_') && !lower.startsWith('_')) element.removeAttribute(name);
        return;
      }
      if (lower === 'style' && typeof value === 'object') {
        for (const [property, setting] of Object.entries(value)) {
          if (setting === false) element.style.removeProperty(property);
          else if (Array.isArray(setting)) element.style.setProperty(property, this.rewriteCss(String(setting[0])), setting[1] || '');
          else element.style.setProperty(property, this.rewriteCss(String(setting)));
        }
        return;
      }
      if (lower.startsWith('on') || lower === 'srcdoc' || lower === 'ping' || lower === 'autofocus' || lower === 'nonce' || lower === 'integrity') return;
      if (lower === '_csstext') {
        if (element.tagName === 'STYLE') element.textContent = this.rewriteCss(String(value));
        return;
      }
      if (lower === 'rr_width' || lower === 'rr_height') {
        element.style.setProperty(lower === 'rr_width' ? 'width' : 'height', String(value), 'important');
        element.setAttribute('data-tv-blocked', '');
        return;
      }
      if (lower === 'rr_dataurl') {
        this.paintCanvas(element, String(value));
        return;
      }
      if (lower === 'rr_scrollleft' || lower === 'rr_scrolltop') {
        if (!element.__tvScroll) {
          element.__tvScroll = {};
          this.scrollRestores.push(element);
        }
        element.__tvScroll[lower === 'rr_scrollleft' ? 'left' : 'top'] = Number(value) || 0;
        return;
      }
      if (lower.startsWith('rr_') || lower.startsWith('_')) {
        if (lower === 'rr_mediacurrenttime') element.__tvMediaTime = Number(value) || 0;
        return;
      }
      if (tag === 'meta' && lower === 'http-equiv') return;  // no refresh, no CSP tricks
      if (tag === 'link' && lower === 'rel' && !String(value).toLowerCase().split(/\s+/).some((r) => LINK_RELS_KEPT.has(r))) {
        element.setAttribute('data-tv-rel', String(value));
        return;
      }
      let text = String(value);
      if (URL_ATTRIBUTES.has(lower)) {
        if (NEVER_LOAD.has(tag) || isUnsafeUrl(text)) return;
        if (tag === 'a' || tag === 'area') {
          // Links keep their look (:link styles) but can only ever point at nothing.
          text = '#' + encodeURIComponent(text).slice(0, 200);
        } else if (!(lower === 'href' && tag === 'link' && element.getAttribute('data-tv-rel'))) {
          text = this.assetUrl(text);
        }
      } else if (lower === 'srcset' || lower === 'imagesrcset') {
        text = text.split(',').map((part) => {
          const bits = part.trim().split(/\s+/);
          if (!bits[0]) return '';
          bits[0] = isUnsafeUrl(bits[0]) ? '' : this.assetUrl(bits[0]);
          return bits.join(' ');
        }).join(', ');
      } else if (lower === 'style') {
        text = this.rewriteCss(text);
      }
      try {
        if (lower === 'xlink:href') element.setAttributeNS(XLINK_NS, 'xlink:href', text);
        else element.setAttribute(name, text);
      } catch (error) {
        // invalid attribute names in recordings are skipped
      }
      if (lower === 'value' && 'value' in element && element.tagName !== 'LI' && element.tagName !== 'OPTION') element.value = text;
      if (lower === 'checked' && 'checked' in element) element.checked = true;
      if (lower === 'selected' && 'selected' in element) element.selected = true;
    }

    absolute(url) {
      try {
        return new URL(url, this.href).href;
      } catch (error) {
        return url;
      }
    }

    assetUrl(url) {
      const trimmed = url.trim();
      if (trimmed.startsWith('data:') && !isUnsafeUrl(trimmed)) return trimmed;
      if (trimmed.startsWith('#')) return trimmed;
      if (trimmed.startsWith('tvasset:')) return trimmed;
      return this.assetPrefix + encodeURIComponent(this.absolute(trimmed));
    }

    rewriteCss(css) {
      if (css.indexOf('url(') < 0 && css.indexOf('@import') < 0) return css;
      return css
        .replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (match, quote, url) => {
          if (!url || url.startsWith('#')) return match;
          if (isUnsafeUrl(url)) return 'url()';
          return 'url("' + this.assetUrl(url).replace(/"/g, '%22') + '")';
        })
        .replace(/@import\s+(['"])(.*?)\1/gi, (match, quote, url) => '@import url("' + this.assetUrl(url) + '")');
    }

    paintCanvas(canvas, dataUrl) {
      if (!canvas.getContext || !/^data:image\/(png|jpeg|webp|gif)/i.test(dataUrl)) return;
      const image = new (canvas.ownerDocument.defaultView || window).Image();
      image.onload = () => {
        const context = canvas.getContext('2d');
        if (!context) return;
        context.clearRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0);
      };
      image.src = dataUrl;
    }

    restoreElementState() {
      // Only elements built with a recorded scroll position (rr_scrollLeft/Top) need it.
      const restores = this.scrollRestores;
      this.scrollRestores = [];
      for (const node of restores) {
        this.scrollTo(node, node.__tvScroll.left || 0, node.__tvScroll.top || 0);
        delete node.__tvScroll;
      }
    }

    // --- incremental changes -----------------------------------------------------------------

    applyIncremental(data, instant, timestamp) {
      switch (data.source) {
        case S.Mutation: return this.applyMutation(data);
        case S.MouseMove:
        case S.TouchMove:
        case S.Drag: {
          // rrweb sends moves in batches, up to 500 ms after they happened: each position
          // happened at the event's timestamp + its (negative) timeOffset. A click recorded
          // in between already showed where the pointer was last; an older position must
          // not move it back.
          const positions = data.positions || [];
          const last = positions[positions.length - 1];
          const at = (timestamp || 0) + ((last && last.timeOffset) || 0);
          if (last && at >= this.pointerAt) {
            this.pointerAt = at;
            this.movePointer(last.x, last.y, last.id);
          }
          return undefined;
        }
        case S.MouseInteraction:
          if (typeof data.x === 'number' && timestamp) this.pointerAt = Math.max(this.pointerAt, timestamp);
          return this.interaction(data, instant);
        case S.Scroll: return this.scroll(data);
        case S.ViewportResize: return this.resize(data.width, data.height);
        case S.Input: return this.input(data);
        case S.MediaInteraction: return this.media(data);
        case S.StyleSheetRule: return this.styleSheetRule(data);
        case S.StyleDeclaration: return this.styleDeclaration(data);
        case S.AdoptedStyleSheet: return this.adoptedStyleSheet(data);
        case S.CanvasMutation: return this.canvasMutation(data);
        case S.Font: return this.font(data);
        case S.Selection: return this.selection(data);
        default: return undefined;
      }
    }

    applyMutation(data) {
      for (const remove of data.removes || []) {
        const node = this.nodes.get(remove.id);
        if (!node) continue;
        this.forget(node);
        if (node.parentNode) node.parentNode.removeChild(node);
      }
      let pending = (data.adds || []).filter((add) => add && add.node);
      while (pending.length) {
        const waiting = [];
        const ids = new Set(pending.map((add) => add.node.id));
        for (const add of pending) {
          const parent = this.nodes.get(add.parentId);
          const nextMissing = add.nextId !== null && add.nextId !== undefined && !this.nodes.has(add.nextId) && ids.has(add.nextId);
          if (!parent || nextMissing) {
            waiting.push(add);
            continue;
          }
          ids.delete(add.node.id);
          this.addNode(parent, add);
        }
        if (waiting.length === pending.length) break;
        pending = waiting;
      }
      this.afterBuild();
      for (const change of data.texts || []) {
        const node = this.nodes.get(change.id);
        if (!node) continue;
        const parent = node.parentNode;
        const isStyle = parent && parent.nodeName === 'STYLE';
        node.textContent = isStyle ? this.rewriteCss(change.value || '') : (change.value || '');
      }
      for (const change of data.attributes || []) {
        const node = this.nodes.get(change.id);
        if (!node || node.nodeType !== 1) continue;
        const tag = node.tagName.toLowerCase();
        this.setAttributes(node, tag === 'template' ? 'script' : tag, change.attributes || {}, false);
      }
    }

    addNode(parent, add) {
      const serialized = add.node;
      if (serialized.type === N.Document) {
        if (parent.tagName === 'IFRAME') this.buildIframeDocument(parent, serialized);
        return;
      }
      const existing = this.nodes.get(serialized.id);
      if (existing && existing.parentNode) existing.parentNode.removeChild(existing);
      const doc = parent.nodeType === 9 ? parent : parent.ownerDocument;
      const inSvg = parent.namespaceURI === SVG_NS && parent.tagName !== 'foreignObject';
      const node = this.build(serialized, doc, inSvg);
      if (!node) return;
      let target = parent;
      if (serialized.isShadow && parent.shadowRoot) target = parent.shadowRoot;
      if (parent.nodeType === 9 && node.nodeType === 10 && parent.doctype) return;
      const next = add.nextId !== null && add.nextId !== undefined ? this.nodes.get(add.nextId) : null;
      const previous = add.previousId !== null && add.previousId !== undefined ? this.nodes.get(add.previousId) : null;
      if (next && next.parentNode === target) target.insertBefore(node, next);
      else if (previous && previous.parentNode === target) target.insertBefore(node, previous.nextSibling);
      else target.appendChild(node);
      if (parent.nodeType === 9 && node.nodeType === 1 && node.tagName === 'HTML') this.injectPlayerStyle(parent);
    }

    forget(node) {
      const stack = [node];
      while (stack.length) {
        const current = stack.pop();
        if (current.__tvId !== undefined) this.nodes.delete(current.__tvId);
        if (current.shadowRoot) stack.push(...current.shadowRoot.childNodes);
        if (current.tagName === 'IFRAME' && current.contentDocument) stack.push(current.contentDocument);
        if (current.childNodes) stack.push(...current.childNodes);
      }
    }

    input(data) {
      const node = this.nodes.get(data.id);
      if (!node) return;
      if (typeof data.text === 'string' && 'value' in node) node.value = data.text;
      if (typeof data.isChecked === 'boolean' && 'checked' in node && (node.type === 'checkbox' || node.type === 'radio')) node.checked = data.isChecked;
    }

    scroll(data) {
      const node = this.nodes.get(data.id);
      if (node) this.scrollTo(node, data.x || 0, data.y || 0);
    }

    scrollTo(node, x, y) {
      if (this.deferredScrolls) this.deferredScrolls.set(node, [x, y]);
      else this.scrollNode(node, x, y);
    }

    scrollNode(node, x, y) {
      if (!node.isConnected && node.nodeType !== 9) return;
      if (node.nodeType === 9) {
        if (node.defaultView) node.defaultView.scrollTo(x, y);
      } else {
        node.scrollLeft = x;
        node.scrollTop = y;
      }
    }

    media(data) {
      const node = this.nodes.get(data.id);
      if (!node || typeof node.pause !== 'function') return;
      try {
        if (typeof data.currentTime === 'number') node.currentTime = data.currentTime;
        if (typeof data.volume === 'number') node.volume = data.volume;
        if (typeof data.muted === 'boolean') node.muted = data.muted;
        if (typeof data.playbackRate === 'number') node.playbackRate = data.playbackRate;
        if (data.type === 0) node.play().catch(() => {});
        if (data.type === 1) node.pause();
      } catch (error) { /* media without a source */ }
    }

    sheetFor(data) {
      if (data.styleId !== undefined) return this.sheets.get(data.styleId) || null;
      const node = this.nodes.get(data.id);
      return node && node.sheet ? node.sheet : null;
    }

    ruleList(sheet, index) {
      // Nested rules are addressed by a path of indexes: [group, ..., position].
      let rules = sheet;
      const path = Array.isArray(index) ? index : [index];
      for (let i = 0; i < path.length - 1; i += 1) rules = rules.cssRules[path[i]];
      return [rules, path[path.length - 1]];
    }

    styleSheetRule(data) {
      const sheet = this.sheetFor(data);
      if (!sheet) return;
      for (const add of data.adds || []) {
        try {
          const [rules, position] = this.ruleList(sheet, add.index === undefined ? sheet.cssRules.length : add.index);
          rules.insertRule(this.rewriteCss(add.rule), Math.min(position === undefined ? rules.cssRules.length : position, rules.cssRules.length));
        } catch (error) { /* invalid rule, as in the recorded browser */ }
      }
      for (const remove of data.removes || []) {
        try {
          const [rules, position] = this.ruleList(sheet, remove.index);
          rules.deleteRule(position);
        } catch (error) { /* already gone */ }
      }
      if (data.replace !== undefined && sheet.replaceSync) sheet.replaceSync(this.rewriteCss(data.replace));
      if (data.replaceSync !== undefined && sheet.replaceSync) sheet.replaceSync(this.rewriteCss(data.replaceSync));
    }

    styleDeclaration(data) {
      const sheet = this.sheetFor(data);
      if (!sheet) return;
      try {
        const [rules, position] = this.ruleList(sheet, data.index);
        const rule = rules.cssRules[position];
        if (!rule || !rule.style) return;
        if (data.set) rule.style.setProperty(data.set.property, this.rewriteCss(String(data.set.value)), data.set.priority || '');
        if (data.remove) rule.style.removeProperty(data.remove.property);
      } catch (error) { /* rule not there */ }
    }

    adoptedStyleSheet(data) {
      const host = this.nodes.get(data.id);
      if (!host) return;
      const target = host.nodeType === 9 ? host : host.shadowRoot;
      if (!target) return;
      const view = (host.nodeType === 9 ? host : host.ownerDocument).defaultView;
      for (const style of data.styles || []) {
        const sheet = new view.CSSStyleSheet();
        for (const rule of style.rules || []) {
          try { sheet.insertRule(this.rewriteCss(rule.rule), rule.index === undefined ? sheet.cssRules.length : rule.index); } catch (error) { /* skip */ }
        }
        this.sheets.set(style.styleId, sheet);
      }
      target.adoptedStyleSheets = (data.styleIds || []).map((id) => this.sheets.get(id)).filter(Boolean);
    }

    canvasMutation(data) {
      const canvas = this.nodes.get(data.id);
      if (!canvas || !canvas.getContext || data.type !== 0) return;  // 2D only; WebGL stays blank
      const context = canvas.getContext('2d');
      const commands = data.commands || [data];
      for (const command of commands) {
        try {
          if (command.setter) context[command.property] = command.args[0];
          else if (command.property === 'drawImage' && command.args[0] && command.args[0].rr_type) continue;
          else if (typeof context[command.property] === 'function') context[command.property](...(command.args || []).map((a) => (a && a.rr_type ? undefined : a)));
        } catch (error) { /* unsupported command */ }
      }
    }

    font(data) {
      const doc = this.frame.contentDocument;
      const view = this.frame.contentWindow;
      try {
        const source = data.buffer ? new Uint8Array(JSON.parse(data.fontSource)) : 'url("' + this.assetUrl(String(data.fontSource).replace(/^url\(["']?|["']?\)$/g, '')) + '")';
        const face = new view.FontFace(data.family, source, data.descriptors || {});
        doc.fonts.add(face);
      } catch (error) { /* bad font */ }
    }

    selection(data) {
      const doc = this.frame.contentDocument;
      const selection = doc.getSelection();
      if (!selection) return;
      selection.removeAllRanges();
      for (const range of data.ranges || []) {
        const start = this.nodes.get(range.start);
        const end = this.nodes.get(range.end);
        if (!start || !end) continue;
        try {
          const domRange = doc.createRange();
          domRange.setStart(start, range.startOffset);
          domRange.setEnd(end, range.endOffset);
          selection.addRange(domRange);
        } catch (error) { /* offsets out of range */ }
      }
    }

    // --- pointer -----------------------------------------------------------------------------

    pointerOrigin(id) {
      // Positions inside an iframe are relative to that iframe: add its offset in the page.
      let x = 0;
      let y = 0;
      let node = this.nodes.get(id);
      let doc = node ? (node.nodeType === 9 ? node : node.ownerDocument) : null;
      while (doc && doc !== this.frame.contentDocument && doc.defaultView && doc.defaultView.frameElement) {
        const rect = doc.defaultView.frameElement.getBoundingClientRect();
        x += rect.left;
        y += rect.top;
        doc = doc.defaultView.frameElement.ownerDocument;
      }
      return [x, y];
    }

    movePointer(x, y, id) {
      const [ox, oy] = this.pointerOrigin(id);
      this.pointerX = x + ox;
      this.pointerY = y + oy;
      if (this.cursor) {
        this.cursor.style.transform = 'translate(' + this.pointerX + 'px,' + this.pointerY + 'px)';
        this.cursor.style.display = 'block';
      }
      if (this.onPointer) this.onPointer(this.pointerX, this.pointerY);
    }

    interaction(data, instant) {
      if (typeof data.x === 'number' && typeof data.y === 'number') this.movePointer(data.x, data.y, data.id);
      const clicky = data.type === MI.Click || data.type === MI.DblClick || data.type === MI.TouchStart || data.type === MI.ContextMenu;
      if (!clicky || instant || !this.rippleLayer || this.pointerX === undefined) return;
      const ripple = this.rippleLayer.ownerDocument.createElement('div');
      ripple.className = 'tv-ripple' + (data.type === MI.TouchStart ? ' tv-touch' : '');
      ripple.style.left = this.pointerX + 'px';
      ripple.style.top = this.pointerY + 'px';
      this.rippleLayer.appendChild(ripple);
      setTimeout(() => ripple.remove(), 700);
    }
  }

  window.TapeviewReplayer = Replayer;
})();
