// #add-funds: link a bank, deposit with a confirmation step, then follow the transfer's status.
// One Idempotency-Key per deposit attempt: a double click or a retry never deposits twice.
import { ApiError, newIdempotencyKey } from '../api.js';
import { bankLabel, calendarDate, money, statusWords } from '../format.js';
import { h, SectionView, withStates } from '../dom.js';
import { accountNumberOk, checkAmount, FINAL_STATUSES, routingOk } from '../funds-rules.js';

const POLL_MS = 1500;
const POLL_LIMIT = 120;
const QUICK = ['50', '100', '250', '500'];

function field(id, label, input, hint = null) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { class: 'field-hint' }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
}

function setError(form, id, message) {
  const el = form.querySelector(`#${id}-error`);
  const input = form.querySelector(`#${id}`);
  el.textContent = message || '';
  el.hidden = !message;
  input?.setAttribute('aria-invalid', String(Boolean(message)));
}

export function mount(root, ctx) {
  const view = new SectionView(root);
  const maxDeposit = Number(document.documentElement.dataset.maxDeposit) || 50000;
  let banks = [];
  let transfers = [];
  let pollTimer = null;
  let destroyed = false;
  let attempt = null; // {key, amount, bank} of the deposit being confirmed

  function statusTag(status) {
    const s = String(status || '').toUpperCase();
    const kind = s === 'COMPLETE' ? 'done' : FINAL_STATUSES.has(s) ? 'failed' : 'pending';
    return h('span', { class: `tag tag-status tag-${kind}`, 'data-status': s }, statusWords(status));
  }

  function recent() {
    const items = transfers.filter((t) => t.direction === 'INCOMING').slice(0, 3);
    if (!items.length) return null;
    return h(
      'div',
      { class: 'recent' },
      h('h3', { class: 'subhead' }, 'Recent deposits'),
      h(
        'ul',
        { class: 'transfer-list', id: 'transfer-list' },
        items.map((t) => h('li', {}, h('span', { class: 'num' }, money(t.amount)), h('span', { class: 'muted small' }, calendarDate(t.created_at)), statusTag(t.status))),
      ),
    );
  }

  function linkForm({ open }) {
    const form = h(
      'form',
      { class: 'stack', id: 'link-form', novalidate: true },
      field('link-owner', 'Account holder name', h('input', { id: 'link-owner', autocomplete: 'name', required: true })),
      field('link-type', 'Account type', h('select', { id: 'link-type' }, h('option', { value: 'checking' }, 'Checking'), h('option', { value: 'savings' }, 'Savings'))),
      field('link-routing', 'Routing number', h('input', { id: 'link-routing', inputmode: 'numeric', autocomplete: 'off', maxlength: 9 }), 'The 9-digit number at the bottom left of a check.'),
      field('link-account', 'Account number', h('input', { id: 'link-account', inputmode: 'numeric', autocomplete: 'off', maxlength: 17 })),
      field('link-nickname', 'Nickname (optional)', h('input', { id: 'link-nickname', maxlength: 60 })),
      h('p', { class: 'form-error', role: 'alert', hidden: true, id: 'link-error' }),
      h('button', { class: 'btn btn-secondary', type: 'submit' }, 'Link bank account'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = (id) => form.querySelector(`#${id}`).value.trim();
      const checks = {
        'link-owner': value('link-owner') ? '' : 'Enter the name on the bank account.',
        'link-routing': routingOk(value('link-routing')) ? '' : 'Enter a valid 9-digit routing number.',
        'link-account': accountNumberOk(value('link-account')) ? '' : 'Enter the account number (4 to 17 digits).',
      };
      for (const [id, message] of Object.entries(checks)) setError(form, id, message);
      const firstBad = Object.entries(checks).find(([, m]) => m);
      if (firstBad) {
        form.querySelector(`#${firstBad[0]}`).focus();
        return;
      }
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      const error = form.querySelector('#link-error');
      error.hidden = true;
      try {
        await ctx.api('/api/funds/bank-accounts', {
          method: 'POST',
          body: {
            owner_name: value('link-owner'),
            account_type: value('link-type'),
            routing_number: value('link-routing'),
            account_number: value('link-account'),
            nickname: value('link-nickname') || undefined,
          },
        });
        await load(true);
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        button.disabled = false;
      }
    });
    if (open === null) return form;
    return h('details', { class: 'link-more', open }, h('summary', {}, 'Link another bank account'), form);
  }

  function depositForm(prefill = '') {
    const bankSelect = h(
      'select',
      { id: 'deposit-bank' },
      banks.map((b) => h('option', { value: b.id }, bankLabel(b))),
    );
    const amount = h('input', { id: 'deposit-amount', inputmode: 'decimal', autocomplete: 'off', value: prefill, 'aria-describedby': 'deposit-amount-error' });
    const chips = h(
      'div',
      { class: 'chips', role: 'group', 'aria-label': 'Quick amounts' },
      QUICK.map((q) => h('button', { type: 'button', class: 'chip', onclick: () => { amount.value = q; amount.focus(); } }, `$${q}`)),
    );
    const form = h(
      'form',
      { class: 'stack', id: 'deposit-form', novalidate: true },
      field('deposit-amount', 'Amount', h('div', { class: 'input-affix' }, h('span', { 'aria-hidden': 'true' }, '$'), amount)),
      chips,
      banks.length > 1 ? field('deposit-bank', 'From', bankSelect) : h('p', { class: 'muted small' }, 'From ', h('strong', {}, bankLabel(banks[0]))),
      h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Review deposit'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const check = checkAmount(amount.value, maxDeposit);
      setError(form, 'deposit-amount', check.error);
      if (!check.ok) {
        amount.focus();
        return;
      }
      const bank = banks.length > 1 ? banks.find((b) => b.id === bankSelect.value) : banks[0];
      attempt = { key: newIdempotencyKey(), amount: check.value, bank };
      showConfirm();
    });
    return form;
  }

  function showConfirm(problem = null) {
    const { amount, bank } = attempt;
    const confirm = h('button', { class: 'btn btn-primary', type: 'button', id: 'deposit-confirm' }, problem ? 'Try again' : 'Confirm deposit');
    const back = h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => render(amount) }, 'Back');
    const panel = h(
      'div',
      { class: 'confirm', role: 'region', 'aria-labelledby': 'confirm-title' },
      h('h3', { class: 'subhead', id: 'confirm-title' }, 'Confirm your deposit'),
      h('p', { class: 'confirm-amount num' }, money(amount)),
      h('p', { class: 'muted' }, `From ${bankLabel(bank)} into your portfolio. Bank transfers usually take 1 to 3 business days to arrive.`),
      problem ? h('p', { class: 'form-error', role: 'alert' }, problem) : null,
      h('div', { class: 'actions' }, back, confirm),
    );
    confirm.addEventListener('click', () => send(confirm, back));
    view.content(panel, recent());
    confirm.focus();
  }

  async function send(confirm, back) {
    if (confirm.disabled) return; // a double click sends once
    confirm.disabled = true;
    back.disabled = true;
    confirm.textContent = 'Sending…';
    const { key, amount, bank } = attempt;
    try {
      const transfer = await ctx.api('/api/funds/deposits', {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        body: { amount, relationship_id: bank.id },
      });
      attempt = null;
      transfers = [transfer, ...transfers.filter((t) => t.id !== transfer.id)];
      showStatus(transfer);
      ctx.bus.dispatchEvent(new CustomEvent('funds-changed'));
      follow(transfer.id);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        attempt = null;
        render(amount, error.message);
        return;
      }
      if (error instanceof ApiError && error.status === 409) {
        attempt = null;
        await load(true);
        view.body.prepend(h('p', { class: 'form-error', role: 'alert' }, error.message));
        return;
      }
      // The answer was lost or the broker failed: retrying reuses this attempt's key.
      showConfirm(`${error.message} Trying again is safe: it will not deposit twice.`);
    }
  }

  function showStatus(transfer) {
    const tag = statusTag(transfer.status);
    const panel = h(
      'div',
      { class: 'deposit-status', id: 'deposit-status', role: 'status', 'data-transfer': transfer.id },
      h('p', { class: 'subhead status-title' }, 'Deposit started'),
      h('p', { class: 'confirm-amount num' }, money(transfer.amount)),
      h('p', {}, 'Status: ', tag),
      h('p', { class: 'muted small status-hint' }, "We'll update this as your bank sends the money."),
      h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => render() }, 'Make another deposit'),
    );
    view.content(panel, recent());
  }

  let following = null;

  function follow(id, count = 0, delay = POLL_MS) {
    clearTimeout(pollTimer);
    following = null;
    if (destroyed || count > POLL_LIMIT) return;
    following = { id, count };
    pollTimer = setTimeout(async () => {
      try {
        const data = await ctx.api('/api/funds/transfers');
        transfers = data.transfers;
      } catch {
        follow(id, count + 1);
        return;
      }
      const t = transfers.find((x) => x.id === id);
      const panel = view.body.querySelector(`#deposit-status[data-transfer="${id}"]`);
      if (t && panel) {
        panel.querySelector('.tag-status').replaceWith(statusTag(t.status));
        const list = view.body.querySelector('.recent');
        list?.replaceWith(recent() ?? '');
      }
      if (t && FINAL_STATUSES.has(String(t.status).toUpperCase())) {
        following = null;
        const settled = String(t.status).toUpperCase() === 'COMPLETE';
        if (panel) {
          panel.querySelector('.status-title').textContent = settled ? 'Deposit complete' : 'Deposit did not go through';
          panel.querySelector('.status-hint').textContent = settled
            ? 'The money is in your account and ready to invest.'
            : t.reason || 'Your bank did not send the money. Check the account details and try again.';
        }
        ctx.bus.dispatchEvent(new CustomEvent('funds-changed', { detail: { settled, amount: t.amount } }));
        return;
      }
      follow(id, count + 1);
    }, delay);
  }

  function render(prefill = '', problem = null) {
    if (!banks.length) {
      view.content(
        h('p', { class: 'muted' }, 'Link your bank account to move money into your portfolio.'),
        linkForm({ open: null }),
      );
      return;
    }
    const form = depositForm(prefill);
    if (problem) {
      setError(form, 'deposit-amount', problem);
    }
    view.content(form, recent(), linkForm({ open: false }));
  }

  async function load(quiet = false) {
    await withStates(view, {
      skeleton: 'form',
      what: 'your bank accounts',
      quiet,
      load: async () => {
        const [b, t] = await Promise.all([ctx.api('/api/funds/bank-accounts'), ctx.api('/api/funds/transfers').catch(() => ({ transfers: [] }))]);
        banks = b.bank_accounts.filter((x) => !['CANCELED', 'REJECTED'].includes(String(x.status).toUpperCase()));
        transfers = t.transfers ?? [];
        render();
      },
    });
  }

  // The broker says a transfer or bank link changed status: look now, not at the next poll.
  const onBroker = (event) => {
    if (!event.detail?.what?.includes('transfers')) return;
    if (following) follow(following.id, following.count, 0);
    else load(true);
  };
  ctx.bus.addEventListener('broker-changed', onBroker);
  load();

  return {
    destroy() {
      destroyed = true;
      clearTimeout(pollTimer);
      ctx.bus.removeEventListener('broker-changed', onBroker);
    },
  };
}
