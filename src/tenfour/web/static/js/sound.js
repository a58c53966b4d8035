// Alert tones made with the WebAudio API (no audio files): a two-tone alarm for
// emergencies, repeated while one is unacknowledged, and a short chime for others.
//
// Browsers keep audio suspended until the person has interacted with the page; the
// console shows a "Sound is off" button until then, and any key or click turns the
// sound on.

export class Alarm {
  constructor() {
    this.context = null;
    this.played = 0; // tones played, for the page's own checks and the tests
    this.listeners = new Set();
    const unlock = () => this.unlock();
    for (const kind of ["keydown", "pointerdown", "touchstart"]) {
      window.addEventListener(kind, unlock, { capture: true, passive: true });
    }
  }

  ensure() {
    if (!this.context) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      this.context = new Context();
      this.context.addEventListener("statechange", () => this.changed());
    }
    return this.context;
  }

  get enabled() {
    return Boolean(this.context && this.context.state === "running");
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  changed() {
    for (const listener of this.listeners) listener(this.enabled);
  }

  unlock() {
    const context = this.ensure();
    if (context && context.state === "suspended") context.resume().then(() => this.changed());
  }

  /** Show `button` ("Sound is off") only while the browser keeps the sound off; a click
   * on it (or any key or tap) turns the sound on. */
  showWhileOff(button) {
    button.addEventListener("click", () => this.unlock());
    this.onChange((on) => {
      button.hidden = on;
    });
    this.ensure();
    // A page the browser lets play at once fires no statechange: look again shortly.
    setTimeout(() => {
      button.hidden = this.enabled;
    }, 300);
  }

  /** Two alternating tones, loud enough to be heard across a dispatch room. */
  emergency() {
    this.play([[880, 0.0], [660, 0.25], [880, 0.5], [660, 0.75]], 0.25, 0.35);
  }

  chime() {
    this.play([[740, 0.0], [988, 0.18]], 0.16, 0.2);
  }

  play(notes, length, volume) {
    const context = this.ensure();
    if (!context) return false;
    if (context.state === "suspended") context.resume().catch(() => {});
    const start = context.currentTime + 0.02;
    for (const [frequency, offset] of notes) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(volume, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + length);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + length + 0.05);
    }
    this.played += 1;
    document.body.dataset.tones = String(this.played);
    return true;
  }
}
