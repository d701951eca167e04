// Order entry: limit, market and cancel. The page checks nothing itself: it sends what was typed
// and shows the engine's own message next to the field it names (or the token field's, when the
// server refuses the token), so the rules are exactly the engine's.

const TOKEN_CODES = new Set(['TOKEN_REQUIRED', 'BAD_TOKEN']);

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
      if (event.target.name === 'price') this.preview();
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
    this.preview();
    this.label();
  }

  /** The price field is in ticks; show what that is in the asset's units. */
  preview() {
    const info = this.asset();
    const out = this.form.querySelector('.price-preview');
    const ticks = Number(this.field('price').value);
    out.textContent = info && info.priceScale !== 1 && this.field('price').value.trim() !== '' && Number.isFinite(ticks)
      ? `= ${(ticks / info.priceScale).toFixed(info.priceDecimals)}` : '';
  }

  label() {
    const button = this.form.querySelector('button[type=submit]');
    button.className = this.kind === 'cancel' ? 'submit cancel' : `submit ${this.side}`;
    const size = this.field('size').value.trim() || '?';
    if (this.kind === 'cancel') button.textContent = `Cancel order ${this.field('orderId').value.trim() || '?'}`;
    else if (this.kind === 'market') button.textContent = `${this.side === 'bid' ? 'Buy' : 'Sell'} ${size} at market`;
    else button.textContent = `${this.side === 'bid' ? 'Buy' : 'Sell'} ${size} @ ${this.field('price').value.trim() || '?'}`;
  }

  /** What the user typed for the current kind, as text; the server turns it into the engine's request. */
  fields() {
    const info = this.asset();
    const fields = { trader: this.trader, asset: info?.asset };
    if (this.kind !== 'cancel') {
      fields.side = this.side;
      fields.size = this.field('size').value;
      fields.stp = this.field('stp').value;
    }
    if (this.kind === 'limit') {
      fields.price = this.field('price').value;
      fields.timeInForce = this.field('timeInForce').value;
    }
    if (this.kind === 'market') fields.protectionPrice = this.field('protectionPrice').value;
    if (this.kind === 'cancel') fields.orderId = this.field('orderId').value;
    return fields;
  }

  async submit() {
    await this.send(this.kind, this.fields());
  }

  /** Cancels one order of the trader in the entry form (from the audit panel). */
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
    result.textContent = rejected
      ? `rejected: ${outcome.reason}`
      : `order ${outcome.orderId} ${outcome.status}: filled ${outcome.filled}${outcome.status === 'resting' ? `, ${outcome.remaining} resting` : ''}${outcome.reason ? ` (${outcome.reason})` : ''}`;
  }

  showError(field, message) {
    const slot = (field !== null && this.form.querySelector(`.field-error[data-for="${field}"]`)) || this.form.querySelector('.field-error[data-for="form"]');
    slot.textContent = message;
    slot.closest('.field')?.classList.add('invalid');
  }

  clearErrors() {
    for (const slot of this.form.querySelectorAll('.field-error')) slot.textContent = '';
    for (const field of this.form.querySelectorAll('.field.invalid')) field.classList.remove('invalid');
  }
}
