// Order entry: limit, market, market by budget, stop (stop-limit or stop-market), OCO, cancel.
// The page checks nothing itself: it sends what was typed in the fields the chosen kind shows and
// puts the engine's own message next to the field it names (or the token field's, when the
// server refuses the token), so the rules are exactly the engine's. Even whether a stop is a
// stop-limit or a stop-market is the engine's reading: with a limit price or without one.

const TOKEN_CODES = new Set(['TOKEN_REQUIRED', 'BAD_TOKEN']);

/** The engine call behind each kind on the page: a budget order is a market order given a budget instead of a size. */
const PROTOCOL_KIND = { limit: 'limit', market: 'market', budget: 'market', stop: 'stop', oco: 'oco', cancel: 'cancel' };

/** What the price field is for each kind. */
const PRICE_LABEL = { limit: 'Price', stop: 'Limit price', oco: 'Limit leg price' };
const PRICE_PLACEHOLDER = { limit: 'click the ladder', stop: 'none: stop-market', oco: 'click the ladder' };

/** What the server reads as a number: decimal digits only (src/decimal-integer.ts); Number() also takes 0x10, 1e3, +5. */
const DECIMAL_DIGITS = /^[0-9]+$/;

/** Ticks typed in a price field, in the asset's units (30.95 for 309500 at $0.0001); null when ticks are the units or the text is no number. */
function inUnits(text, info) {
  if (!info || info.priceScale === 1 || !DECIMAL_DIGITS.test(text)) return null;
  return (Number(text) / info.priceScale).toFixed(info.priceDecimals);
}

export class OrderEntry {
  /**
   * form: the #entry form. client: the FeedClient. asset(): the watched asset's info.
   * onDone(trader): after every answered order, so the audit panel can refresh.
   */
  constructor(form, { client, asset, token, onDone = () => {} }) {
    this.form = form;
    this.client = client;
    this.asset = asset;
    this.onDone = onDone;
    this.kind = 'limit';
    this.side = 'bid';
    this.field('token').value = token ?? '';
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    form.addEventListener('input', (event) => {
      if (event.target.dataset.ticks !== undefined) this.preview(event.target);
      const field = event.target.closest('.field');
      if (field?.classList.contains('invalid')) {
        field.classList.remove('invalid');
        field.querySelector('.field-error').textContent = '';
      }
      this.label();
    });
    form.addEventListener('change', () => this.label());
    for (const button of form.querySelectorAll('[data-kind]')) button.addEventListener('click', () => this.setKind(button.dataset.kind));
    for (const button of form.querySelectorAll('[data-side]')) button.addEventListener('click', () => this.setSide(button.dataset.side));
    this.setKind('limit');
    this.setSide('bid');
  }

  field(name) {
    return this.form.elements.namedItem(name);
  }

  get trader() {
    return this.field('trader').value;
  }

  enable(allowed) {
    this.form.classList.toggle('disabled', !allowed);
    for (const element of this.form.elements) element.disabled = !allowed;
    this.form.querySelector('.entry-off').hidden = allowed;
  }

  setKind(kind) {
    this.kind = kind;
    for (const button of this.form.querySelectorAll('[data-kind]')) button.setAttribute('aria-pressed', String(button.dataset.kind === kind));
    for (const row of this.form.querySelectorAll('[data-kinds]')) row.hidden = !row.dataset.kinds.split(' ').includes(kind);
    if (PRICE_LABEL[kind] !== undefined) {
      this.form.querySelector('.price-label').textContent = PRICE_LABEL[kind];
      this.field('price').placeholder = PRICE_PLACEHOLDER[kind];
    }
    this.clearErrors();
    this.label();
  }

  setSide(side) {
    this.side = side;
    for (const button of this.form.querySelectorAll('[data-side]')) button.setAttribute('aria-pressed', String(button.dataset.side === side));
    this.label();
  }

  /** A price picked on the ladder. */
  setPrice(price) {
    this.field('price').value = String(price);
    this.preview(this.field('price'));
    this.label();
  }

  /** Price fields are in ticks; show what that is in the asset's units. */
  preview(input) {
    const units = inUnits(input.value, this.asset());
    input.parentElement.querySelector('.price-preview').textContent = units === null ? '' : `= ${units}`;
  }

  /** A field's text as typed, or '?' when empty (for the button's label only). */
  typed(name) {
    return this.field(name).value.trim() || '?';
  }

  /** A price field as the button shows it: in the asset's units, like the ladder, or as typed. */
  typedPrice(name) {
    return inUnits(this.field(name).value, this.asset()) ?? this.typed(name);
  }

  label() {
    const button = this.form.querySelector('button[type=submit]');
    button.className = this.kind === 'cancel' ? 'submit cancel' : `submit ${this.side}`;
    const verb = this.side === 'bid' ? 'Buy' : 'Sell';
    const size = this.typed('size');
    const limit = this.field('price').value.trim() === '' ? '' : this.typedPrice('price');
    switch (this.kind) {
      case 'cancel':
        button.textContent = `Cancel order ${this.typed('orderId')}`;
        break;
      case 'market':
        button.textContent = `${verb} ${size} at market`;
        break;
      case 'budget':
        button.textContent = `${verb} for ${this.typed('budget')} at market`;
        break;
      case 'stop':
        button.textContent = `${verb} ${size} on a trade ${this.side === 'bid' ? '≥' : '≤'} ${this.typedPrice('stopPrice')}, then ${limit === '' ? 'at market' : `@ ${limit}`}`;
        break;
      case 'oco':
        button.textContent = `${verb} ${size} @ ${this.typedPrice('price')}, or stop at ${this.typedPrice('stopPrice')}`;
        break;
      default:
        button.textContent = `${verb} ${size} @ ${this.typedPrice('price')}`;
    }
  }

  /** What the user typed in the fields the current kind shows, as text; the server turns it into the engine's request. */
  fields() {
    const fields = { asset: this.asset()?.asset };
    for (const row of this.form.querySelectorAll('.fields .field')) {
      if (row.hidden) continue;
      for (const input of row.querySelectorAll('input[name], select[name]')) {
        if (input.name !== 'token') fields[input.name] = input.value;
      }
      if (row.querySelector('[data-side]') !== null) fields.side = this.side;
    }
    return fields;
  }

  /**
   * One order per answer: a double click, or Enter pressed twice, sent the order twice, and both
   * were placed. The button is off until the server has answered (or the connection has dropped).
   */
  async submit() {
    const button = this.form.querySelector('button[type=submit]');
    if (button.disabled) return;
    button.disabled = true;
    try {
      await this.send(PROTOCOL_KIND[this.kind], this.fields());
    } finally {
      button.disabled = this.form.classList.contains('disabled');
    }
  }

  /** Cancels one order (resting or pending) of the trader in the entry form (from the audit panel). */
  async cancel(order) {
    await this.send('cancel', { trader: String(order.trader), asset: order.asset, orderId: String(order.orderId) });
  }

  async send(kind, fields) {
    this.clearErrors();
    const result = this.form.querySelector('.result');
    result.className = 'result';
    result.textContent = 'sending…';
    try {
      const answer = await this.client.request({ type: 'order', kind, token: this.field('token').value.trim(), fields });
      if (answer.type === 'orderError') {
        this.showError(answer.field, answer.message);
        result.textContent = '';
      } else {
        this.showResult(kind, answer.result);
      }
    } catch (error) {
      this.showError(TOKEN_CODES.has(error.code) ? 'token' : null, error.message);
      result.textContent = '';
    }
    this.onDone(fields.trader);
  }

  showResult(kind, outcome) {
    const result = this.form.querySelector('.result');
    if (kind === 'cancel') {
      result.className = `result ${outcome.ok ? 'ok' : 'rejected'}`;
      result.textContent = outcome.ok ? 'cancelled' : `not cancelled: ${outcome.reason}`;
      return;
    }
    const rejected = outcome.status === 'rejected';
    result.className = `result ${rejected ? 'rejected' : 'ok'}`;
    result.dataset.orderId = String(outcome.orderId);
    if (rejected) {
      result.textContent = `rejected: ${outcome.reason}`;
      return;
    }
    let text = outcome.status === 'pending'
      ? `order ${outcome.orderId} pending: ${outcome.remaining} waiting for its stop price`
      : `order ${outcome.orderId} ${outcome.status}: filled ${outcome.filled}${outcome.status === 'resting' ? `, ${outcome.remaining} resting` : ''}`;
    if (outcome.spent !== undefined) text += `, spent ${outcome.spent}`;
    if (outcome.reason) text += ` (${outcome.reason})`;
    if (outcome.stopOrderId !== undefined) text += `; stop leg ${outcome.stopOrderId} ${outcome.stopStatus}`;
    if (outcome.stopFills !== undefined) text += `; ${outcome.stopFills} fill${outcome.stopFills === 1 ? '' : 's'} by the stops it triggered`;
    result.textContent = text;
  }

  /** The message goes under the field it names when this kind shows that field, else under the form. */
  showError(field, message) {
    const named = field === null ? null : this.form.querySelector(`.field-error[data-for="${field}"]`);
    const slot = named !== null && !named.closest('.field').hidden ? named : this.form.querySelector('.field-error[data-for="form"]');
    slot.textContent = message;
    slot.closest('.field')?.classList.add('invalid');
  }

  clearErrors() {
    for (const slot of this.form.querySelectorAll('.field-error')) slot.textContent = '';
    for (const field of this.form.querySelectorAll('.field.invalid')) field.classList.remove('invalid');
  }
}
