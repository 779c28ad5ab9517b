// Small DOM helpers and the per-section states: loading skeleton, empty, error with "Try again".

/** `h('button', {class: 'x', onclick}, 'Text', child)`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'text') el.textContent = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Elements from trusted markup built with escaped values (long tables). */
export function fromHtml(markup) {
  const template = document.createElement('template');
  template.innerHTML = markup;
  return template.content;
}

const SKELETONS = {
  hero: ['w-40 tall', 'w-60', 'w-30'],
  chart: ['w-30', 'block'],
  list: ['w-90', 'w-80', 'w-90', 'w-70', 'w-80'],
  table: ['w-100', 'w-100', 'w-100', 'w-100', 'w-100', 'w-100'],
  gauges: ['circle', 'circle'],
  form: ['w-50', 'field', 'field', 'w-40'],
};

/** The state of one section: its body shows a skeleton, an empty note, an error, or content. */
export class SectionView {
  constructor(root) {
    this.root = root;
    this.body = root.querySelector('[data-body]');
  }

  set state(value) {
    this.root.dataset.state = value;
    if (value === 'loading') this.root.setAttribute('aria-busy', 'true');
    else this.root.removeAttribute('aria-busy');
  }

  loading(kind = 'list') {
    this.state = 'loading';
    const lines = SKELETONS[kind] ?? SKELETONS.list;
    this.body.replaceChildren(
      h(
        'div',
        { class: `skeleton skeleton-${kind}`, 'aria-hidden': 'true' },
        lines.map((cls) => h('span', { class: `bone ${cls}` })),
      ),
      h('span', { class: 'visually-hidden' }, 'Loading…'),
    );
  }

  empty(title, text, action = null) {
    this.state = 'empty';
    this.body.replaceChildren(
      h('div', { class: 'state state-empty' }, h('p', { class: 'state-title' }, title), h('p', { class: 'muted' }, text), action),
    );
  }

  error(error, retry, what = 'this') {
    this.state = 'error';
    const button = h('button', { class: 'btn btn-secondary', type: 'button', onclick: retry }, 'Try again');
    this.body.replaceChildren(
      h(
        'div',
        { class: 'state state-error', role: 'alert' },
        h('p', { class: 'state-title' }, `We couldn't load ${what}.`),
        h('p', { class: 'muted' }, error?.message || 'Something went wrong.'),
        button,
      ),
    );
  }

  content(...nodes) {
    this.state = 'ready';
    this.body.replaceChildren(...nodes);
  }
}

/** Run `load` with the section's states; a failure shows "Try again" that runs it again. */
export async function withStates(view, { skeleton, what, load, quiet = false }) {
  if (!quiet || view.root.dataset.state !== 'ready') view.loading(skeleton);
  try {
    await load();
  } catch (error) {
    if (error?.name === 'AbortError') return;
    if (quiet && view.root.dataset.state === 'ready') return; // keep showing what we had
    view.error(error, () => withStates(view, { skeleton, what, load }), what);
  }
}

/**
 * A section's loading in one place: each load aborts the one before it and runs with the
 * section's states, and a deposit reloads it quietly. `fetchAndDraw(signal)` does the work;
 * call `stop()` when the section goes away.
 */
export function sectionLoader(ctx, view, { skeleton, what, fetchAndDraw, reloadOn = [] }) {
  let request = null;
  const load = (quiet = false) => {
    request?.abort();
    request = new AbortController();
    const { signal } = request;
    return withStates(view, { skeleton, what, quiet, load: () => fetchAndDraw(signal) });
  };
  const onFunds = () => load(true);
  // The broker changed the account (a fill, a transfer, a dividend): reload quietly when it
  // touched what this section shows.
  const onBroker = (event) => {
    if (event.detail?.what?.some((w) => reloadOn.includes(w))) load(true);
  };
  ctx.bus.addEventListener('funds-changed', onFunds);
  ctx.bus.addEventListener('broker-changed', onBroker);
  return {
    load,
    stop() {
      request?.abort();
      ctx.bus.removeEventListener('funds-changed', onFunds);
      ctx.bus.removeEventListener('broker-changed', onBroker);
    },
  };
}

/** Up/down/flat class for a signed amount. */
export function trendClass(dir) {
  return dir === 'up' ? 'up' : dir === 'down' ? 'down' : 'flat';
}
