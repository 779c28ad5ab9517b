// Start-up: decide between the login screen and the portfolio, mount each section, tear down.
import { api, ApiError, getToken, loadToken, setToken } from './api.js';
import { loadCharts } from './charts.js';
import { isMoneyHidden, setMoneyHidden } from './format.js';
import * as addFunds from './sections/add-funds.js';
import * as allocation from './sections/allocation.js';
import * as history from './sections/history.js';
import * as holdings from './sections/holdings.js';
import * as income from './sections/income.js';
import * as realized from './sections/realized.js';
import * as scores from './sections/scores.js';
import * as summary from './sections/summary.js';
import * as transactions from './sections/transactions.js';
import * as whatIf from './sections/what-if.js';

const SECTIONS = [
  ['summary', summary],
  ['history', history],
  ['scores', scores],
  ['add-funds', addFunds],
  ['allocation', allocation],
  ['what-if', whatIf],
  ['holdings', holdings],
  ['income', income],
  ['realized', realized],
  ['transactions', transactions],
];

const $ = (id) => document.getElementById(id);
let mounted = [];
let bus = null;
let current = null;

// Privacy mode: remembered on this device; dollar amounts are masked, percentages stay.
const PRIVACY_KEY = 'portfolio_rt.privacy';

function applyPrivacy(on) {
  setMoneyHidden(on);
  document.documentElement.dataset.privacy = on ? 'on' : 'off';
  const button = $('privacy-toggle');
  button.setAttribute('aria-pressed', String(on));
  button.querySelector('[data-label]').textContent = on ? 'Show amounts' : 'Hide amounts';
}

function readPrivacy() {
  try {
    return localStorage.getItem(PRIVACY_KEY) === 'on';
  } catch {
    return false;
  }
}

applyPrivacy(readPrivacy());

function config() {
  const root = document.documentElement.dataset;
  return {
    scoresRefreshMs: Math.max(1, Number(root.scoresRefreshS) || 300) * 1000,
  };
}

function show(which) {
  $('boot').hidden = true;
  $('login').hidden = which !== 'login';
  $('app').hidden = which !== 'app';
}

function teardown() {
  for (const section of mounted) {
    try {
      section.destroy?.();
    } catch (error) {
      console.warn('section teardown failed', error);
    }
  }
  mounted = [];
  bus = null;
}

function startApp(session) {
  teardown();
  current = session;
  show('app');
  loadCharts(); // in the background; each chart waits for it
  bus = new EventTarget();
  $('account-chip').textContent = session.username ? session.username : '';
  // livePositions: symbol → the latest live row of each position (the summary's socket fills it)
  const ctx = { api, bus, session, config: config(), livePositions: new Map() };
  mounted = SECTIONS.map(([id, module]) => module.mount($(id), ctx));
}

function showLogin(message = '') {
  teardown();
  show('login');
  const error = $('login-error');
  error.textContent = message;
  error.hidden = !message;
  $('login-username').focus();
}

async function readSession() {
  return api('/app/session');
}

async function boot() {
  loadToken();
  let session;
  try {
    session = await readSession();
  } catch (error) {
    show('login');
    showLogin(error.message);
    return;
  }
  if (!session.authenticated && getToken()) setToken(null); // expired or revoked
  if (session.authenticated) startApp(session);
  else if (session.password_login) showLogin();
  else {
    show('login');
    $('login-form').replaceChildren(
      Object.assign(document.createElement('p'), {
        className: 'state-title',
        textContent: 'Please open your portfolio from your investing app.',
      }),
    );
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type=submit]');
  const username = form.username.value.trim();
  const password = form.password.value;
  const error = $('login-error');
  if (!username || !password) {
    error.textContent = 'Enter your username and password.';
    error.hidden = false;
    return;
  }
  button.disabled = true;
  button.textContent = 'Logging in…';
  try {
    await api('/api/auth/login', { method: 'POST', body: { username, password } });
    setToken(null); // the HttpOnly session cookie now identifies this browser
    const session = await readSession();
    form.reset();
    startApp({ ...session, username });
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401 ? 'That username and password do not match. Please try again.' : err.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = 'Log in';
  }
});

$('privacy-toggle').addEventListener('click', () => {
  const on = !isMoneyHidden();
  try {
    localStorage.setItem(PRIVACY_KEY, on ? 'on' : 'off');
  } catch {
    // still applies to this visit
  }
  applyPrivacy(on);
  if (current && !$('app').hidden) {
    const y = window.scrollY;
    startApp(current); // every section draws again with amounts masked or shown
    window.scrollTo(0, y);
  }
});

// Another tab changed it: follow.
window.addEventListener('storage', (event) => {
  if (event.key === PRIVACY_KEY && (event.newValue === 'on') !== isMoneyHidden()) $('privacy-toggle').click();
});

$('logout').addEventListener('click', async () => {
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } catch {
    // signed out locally either way
  }
  setToken(null);
  showLogin();
});

$('logout-everywhere').addEventListener('click', async () => {
  try {
    await api('/api/auth/logout-everywhere', { method: 'POST' });
  } catch {
    // the server refused or could not be reached: this device still signs out
  }
  setToken(null);
  showLogin('You are logged out on all your devices.');
});

// A request answered 401, or the live socket closed with 4401: the session ended (logged out
// on another device, "log out everywhere", or expired). A token from the host app that the
// live socket says has ended is dropped too.
window.addEventListener('portfolio:signed-out', (event) => {
  if (event.detail?.ended) setToken(null);
  if (!$('app').hidden && !getToken()) showLogin('Your session has ended. Please log in again.');
});

// "Add funds" links in empty states: go to the form and put the cursor in it.
document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[href="#add-funds"]');
  if (!link) return;
  event.preventDefault();
  const section = $('add-funds');
  section.scrollIntoView({ behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth', block: 'start' });
  const input = section.querySelector('#deposit-amount, #link-owner');
  (input ?? section).focus({ preventScroll: true });
});

window.addEventListener('pagehide', teardown);

boot();
