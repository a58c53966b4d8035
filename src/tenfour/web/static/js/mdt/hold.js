// A button that acts only on a deliberate press: held for `holdMs` (the fill shows how
// long is left), or pressed briefly and then confirmed. A pocket, a glove or a stray
// tap must not send every unit in the city; a screen reader's activation (a click that
// is not a press) asks to confirm too.

export class HoldButton {
  /**
   * @param {object} o
   * @param {HTMLButtonElement} o.button the button to hold
   * @param {HTMLElement} o.confirmBox shown after a short press
   * @param {HTMLButtonElement} o.yes confirms
   * @param {HTMLButtonElement} o.no cancels, and gives the focus back to the button
   * @param {() => (void|Promise<void>)} o.onFire the deliberate act
   * @param {() => boolean} [o.onOpen] before the confirmation shows (false: do not show)
   */
  constructor({ button, confirmBox, yes, no, onFire, onOpen = () => true, holdMs = 1500 }) {
    Object.assign(this, { button, confirmBox, yes, no, onFire, onOpen, holdMs });
    this.holding = null;
    /** Fired and not yet reset: a second press does nothing until the first is done. */
    this.fired = false;
    button.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      button.setPointerCapture(e.pointerId);
      this.start();
    });
    button.addEventListener("pointerup", () => this.end(true));
    button.addEventListener("pointercancel", () => this.end(false));
    button.addEventListener("contextmenu", (e) => e.preventDefault());
    button.addEventListener("keydown", (e) => {
      if (e.key !== " " && e.key !== "Enter") return;
      e.preventDefault();
      if (!e.repeat) this.start();
    });
    button.addEventListener("keyup", (e) => {
      if (e.key !== " " && e.key !== "Enter") return;
      e.preventDefault();
      this.end(true);
    });
    button.addEventListener("click", (e) => {
      e.preventDefault();
      if (e.detail === 0 && !this.fired && !this.holding) this.open();
    });
    yes.addEventListener("click", () => {
      confirmBox.hidden = true;
      this.fire();
    });
    no.addEventListener("click", () => {
      confirmBox.hidden = true;
      button.focus();
    });
  }

  progress(value) {
    this.button.style.setProperty("--progress", String(value));
  }

  start() {
    if (this.holding || this.fired || this.button.disabled) return;
    const started = performance.now();
    this.holding = { frame: 0 };
    const step = () => {
      if (!this.holding) return;
      const progress = Math.min(1, (performance.now() - started) / this.holdMs);
      this.progress(progress);
      if (progress >= 1) {
        this.holding = null;
        this.fire();
        return;
      }
      this.holding.frame = requestAnimationFrame(step);
    };
    this.holding.frame = requestAnimationFrame(step);
  }

  /** Let go: a short press asks to confirm instead. */
  end(short) {
    if (!this.holding) return;
    cancelAnimationFrame(this.holding.frame);
    this.holding = null;
    this.progress(0);
    if (short) this.open();
  }

  open() {
    if (this.fired || !this.onOpen()) return;
    this.confirmBox.hidden = false;
    this.yes.focus();
  }

  fire() {
    if (this.fired) return;
    this.fired = true;
    this.confirmBox.hidden = true;
    this.onFire();
  }

  /** Ready for another deliberate press (the act failed, or its emergency is over). */
  reset() {
    this.fired = false;
    this.progress(0);
  }
}
