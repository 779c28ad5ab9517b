// The live value over the WebSocket (DESIGN section 5): authenticate, take the snapshot, apply
// updates in order, and reconnect on its own with capped, jittered exponential backoff.

export const CLOSE_BAD_TOKEN = 4401;
export const CLOSE_NOT_YOURS = 4403;
export const CLOSE_AUTH_TIMEOUT = 4408;
const FATAL = new Set([CLOSE_BAD_TOKEN, CLOSE_NOT_YOURS]);

/** Delay before reconnect attempt `attempt` (0-based): half fixed, half random, capped. */
export function backoffDelay(attempt, { baseMs = 1000, maxMs = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * `new LiveFeed({url, token, topics, onSnapshot, onUpdate, onPositions, onStatus, onChanged, onSessionEnded}).start()`;
 * `stop()` ends it for good. `onChanged(what)` hears which parts of the account the broker
 * changed (`positions`, `orders`, `activities`, `transfers`): a fill, a transfer, a dividend.
 * `topics` beyond the value (e.g. `['positions']`) are asked for after each snapshot, so a
 * reconnected socket has them too; `onPositions` hears the positions messages (the first after
 * each subscription complete). Status is 'connecting', 'live', 'stale', 'market_closed',
 * 'reconnecting' or 'offline'. A close with 4401 (the session was logged out, here or on
 * another device, or expired) stops it and calls `onSessionEnded`.
 */
export class LiveFeed {
  constructor({
    url,
    token = null,
    topics = [],
    onSnapshot = () => {},
    onUpdate = () => {},
    onPositions = () => {},
    onStatus = () => {},
    onChanged = () => {},
    onSessionEnded = () => {},
    WebSocketImpl = globalThis.WebSocket,
    timers = globalThis,
    baseMs = 1000,
    maxMs = 30000,
  }) {
    Object.assign(this, { url, token, topics, onSnapshot, onUpdate, onPositions, onStatus, onChanged, onSessionEnded, WebSocketImpl, timers });
    this.backoff = { baseMs, maxMs };
    this.attempt = 0;
    this.seq = -1;
    this.socket = null;
    this.timer = null;
    this.stopped = true;
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, 'page closed');
  }

  /** Reconnect now (e.g. the tab became visible) instead of waiting out the backoff. */
  nudge() {
    if (this.stopped || this.socket) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  connect() {
    this.timer = null;
    this.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let socket;
    try {
      socket = new this.WebSocketImpl(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.subscribed = false;
    socket.onopen = () => {
      if (this.token) socket.send(JSON.stringify({ type: 'auth', token: this.token }));
    };
    socket.onmessage = (event) => this.handle(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (FATAL.has(event.code)) {
        this.stopped = true;
        this.onStatus('offline');
        if (event.code === CLOSE_BAD_TOKEN) this.onSessionEnded();
        return;
      }
      this.scheduleReconnect();
    };
  }

  handle(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    switch (message.type) {
      case 'snapshot':
        this.attempt = 0; // reset only once the server has really answered
        this.seq = Number(message.seq ?? -1);
        this.onSnapshot(message);
        this.onStatus(message.status || 'live');
        if (this.topics.length && !this.subscribed && this.socket) {
          this.subscribed = true;
          this.socket.send(JSON.stringify({ type: 'subscribe', topics: this.topics }));
        }
        break;
      case 'update': {
        const seq = Number(message.seq ?? this.seq + 1);
        if (seq <= this.seq) return; // an old or repeated update
        this.seq = seq;
        this.onUpdate(message);
        break;
      }
      case 'positions':
        if (Array.isArray(message.positions)) this.onPositions(message);
        break;
      case 'status':
        this.onStatus(message.status);
        break;
      case 'changed':
        if (Array.isArray(message.what)) this.onChanged(message.what);
        break;
      default:
        break;
    }
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.onStatus('reconnecting');
    this.timer = this.timers.setTimeout(() => this.connect(), delay);
  }
}
