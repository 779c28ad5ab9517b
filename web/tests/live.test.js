import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, LiveFeed } from '../js/live.js';

test('backoff doubles, is jittered within [cap/2, cap], and is capped', () => {
  assert.equal(backoffDelay(0, { random: () => 0 }), 500);
  assert.equal(backoffDelay(0, { random: () => 1 }), 1000);
  assert.equal(backoffDelay(3, { random: () => 0.5 }), 6000);
  assert.equal(backoffDelay(30, { random: () => 1 }), 30000);
  assert.equal(backoffDelay(30, { random: () => 0 }), 15000);
});

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  message(obj) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
}

function fakeTimers() {
  const pending = new Map();
  let id = 0;
  return {
    pending,
    setTimeout(fn, ms) {
      id += 1;
      pending.set(id, { fn, ms });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle);
    },
    runAll() {
      const due = [...pending.values()];
      pending.clear();
      due.forEach(({ fn }) => fn());
    },
  };
}

test('auth message, snapshot, in-order updates, reconnect with a fresh snapshot', () => {
  FakeSocket.all = [];
  const timers = fakeTimers();
  const seen = [];
  const statuses = [];
  const feed = new LiveFeed({
    url: 'ws://x/ws/portfolio/a',
    token: 'T',
    WebSocketImpl: FakeSocket,
    timers,
    onSnapshot: (m) => seen.push(['snapshot', m.equity]),
    onUpdate: (m) => seen.push(['update', m.equity]),
    onStatus: (s) => statuses.push(s),
  }).start();
  const first = FakeSocket.all[0];
  first.open();
  assert.deepEqual(first.sent, [{ type: 'auth', token: 'T' }]);
  first.message({ type: 'snapshot', equity: '10', status: 'live', seq: 1 });
  first.message({ type: 'update', equity: '11', seq: 2 });
  first.message({ type: 'update', equity: '10.5', seq: 2 }); // repeated: ignored
  assert.deepEqual(seen, [['snapshot', '10'], ['update', '11']]);
  first.close(1001);
  assert.equal(statuses.at(-1), 'reconnecting');
  assert.equal(timers.pending.size, 1);
  timers.runAll();
  const second = FakeSocket.all[1];
  second.open();
  second.message({ type: 'snapshot', equity: '12', status: 'market_closed', seq: 1 });
  assert.deepEqual(seen.at(-1), ['snapshot', '12']);
  assert.equal(statuses.at(-1), 'market_closed');
  assert.equal(feed.attempt, 0);
  feed.stop();
  assert.equal(timers.pending.size, 0);
});

test('a refused token stops reconnecting', () => {
  FakeSocket.all = [];
  const timers = fakeTimers();
  const statuses = [];
  new LiveFeed({ url: 'ws://x', WebSocketImpl: FakeSocket, timers, onStatus: (s) => statuses.push(s) }).start();
  FakeSocket.all[0].close(4401);
  assert.equal(statuses.at(-1), 'offline');
  assert.equal(timers.pending.size, 0);
});

test('an ended session tells the page once; a foreign account or a 4429 does not', () => {
  FakeSocket.all = [];
  let ended = 0;
  const feed = new LiveFeed({ url: 'ws://x', WebSocketImpl: FakeSocket, timers: fakeTimers(), onSessionEnded: () => (ended += 1) }).start();
  FakeSocket.all[0].close(4401);
  assert.equal(ended, 1);
  assert.equal(feed.stopped, true);

  FakeSocket.all = [];
  const timers = fakeTimers();
  new LiveFeed({ url: 'ws://x', WebSocketImpl: FakeSocket, timers, onSessionEnded: () => (ended += 1) }).start();
  FakeSocket.all[0].close(4403);
  assert.equal(ended, 1);

  FakeSocket.all = [];
  const later = fakeTimers();
  new LiveFeed({ url: 'ws://x', WebSocketImpl: FakeSocket, timers: later, onSessionEnded: () => (ended += 1) }).start();
  FakeSocket.all[0].close(4429); // too many sockets: try again later
  assert.equal(ended, 1);
  assert.equal(later.pending.size, 1);
});

test('a changed message tells what the broker changed', () => {
  FakeSocket.all = [];
  const seen = [];
  new LiveFeed({ url: 'ws://x', WebSocketImpl: FakeSocket, timers: fakeTimers(), onChanged: (what) => seen.push(what) }).start();
  const socket = FakeSocket.all[0];
  socket.message({ type: 'snapshot', equity: '10', seq: 1 });
  socket.message({ type: 'changed', what: ['orders'] });
  socket.message({ type: 'changed', what: ['positions', 'orders'] });
  socket.message({ type: 'changed' }); // malformed: ignored
  assert.deepEqual(seen, [['orders'], ['positions', 'orders']]);
});

test('repeated failures back off further each time', () => {
  FakeSocket.all = [];
  const timers = fakeTimers();
  new LiveFeed({ url: 'ws://x', WebSocketImpl: FakeSocket, timers, baseMs: 100, maxMs: 1000 }).start();
  const delays = [];
  for (let i = 0; i < 6; i += 1) {
    FakeSocket.all.at(-1).close(1006);
    delays.push([...timers.pending.values()][0].ms);
    timers.runAll();
  }
  assert.ok(delays[0] <= 100 && delays[5] >= 500 && delays[5] <= 1000, String(delays));
});

test('topics are asked for after each snapshot, once per socket; positions reach onPositions', () => {
  FakeSocket.all = [];
  const timers = fakeTimers();
  const heard = [];
  const feed = new LiveFeed({ url: 'ws://x', topics: ['positions'], onPositions: (m) => heard.push(m), WebSocketImpl: FakeSocket, timers, baseMs: 10 }).start();
  const first = FakeSocket.all[0];
  first.open();
  assert.deepEqual(first.sent, [], 'nothing before the snapshot');
  first.message({ type: 'snapshot', seq: 1, equity: '1.00' });
  first.message({ type: 'snapshot', seq: 2, equity: '1.00' });
  assert.deepEqual(first.sent, [{ type: 'subscribe', topics: ['positions'] }]);
  first.message({ type: 'positions', complete: true, positions: [{ symbol: 'VTI' }], total_market_value: '1.00' });
  first.message({ type: 'positions' });
  assert.equal(heard.length, 1);
  first.close(1006);
  timers.runAll();
  const second = FakeSocket.all[1];
  second.open();
  second.message({ type: 'snapshot', seq: 1, equity: '1.00' });
  assert.deepEqual(second.sent, [{ type: 'subscribe', topics: ['positions'] }], 'a new socket subscribes again');
  feed.stop();
});
