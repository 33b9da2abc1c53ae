// The sale screen, offline first: made for a phone at a book table with poor wifi.
//
// A sale is composed on the phone as a basket (tap a tile to add a line; the copies on
// a stepper that stops at the copies left; a price each; one payment; for cash, what was
// handed over and the change). Record puts it into an outbox in IndexedDB FIRST, with a
// key of its own (a UUID) and the moment it was made, and only then sends it. The outbox
// survives reloads, closed browsers and ended sessions.
//
// What waits is sent to the place's sales endpoint as soon as it can be (at once, when
// the phone comes online, then on a timer that backs off), oldest first, up to 200 in one
// request. The tracker answers for each sale: "recorded" and "already recorded" (a sale
// sent before whose answer was lost: its key lands it on the first) leave the outbox;
// "refused" stays on the screen, with its reason and what to do, until dismissed. No sale
// is ever dropped without the screen saying so.
//
// The tracker alone decides stock: the copies left on the tiles are its figures (from
// the page, then from each answer), less what waits on this phone, and are marked as
// possibly out of date while anything waits or the phone is offline.
//
// Without the script the form posts one sale the plain way; without IndexedDB the script
// leaves it so.
"use strict";

(() => {
  const DB_NAME = "tracker-sale-screen";
  const BATCH = 200;
  const WAIT_MS = 45000; // past this the request is given up (the server answers well before)
  const DOUBLE_TAP_MS = 1000;
  const FIRST_RETRY_MS = 2000;
  const LAST_RETRY_MS = 60000;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // -- the words, in the reader's language ----------------------------------------------
  //
  // The page gives them, translated, as data (a JSON element); "{name}" in a text is a
  // value filled in here. Without them, the English ones below.
  const ENGLISH = {
    left_one: "Only {n} left.",
    left_other: "Only {n} left.",
    none_left: "None left.",
    copies_whole: "Copies: a whole number, 1 or more.",
    type_price: "Type the price of one copy.",
    price_amount: "Price: an amount such as 12.50.",
    copies_of: "Copies of {label}",
    copy_fewer: "One copy fewer of {label}",
    copy_more: "One copy more of {label}",
    price_each: "Price each, {label} ({currency})",
    take_out: "Take {label} out of this sale",
    none_left_of: "None left of {label}.",
    in_sale_one: "{n} in this sale",
    in_sale_other: "{n} in this sale",
    change: "Change {amount}",
    short: "{amount} short",
    online: "Online",
    logged_out: "Logged out",
    offline: "Offline",
    sending_state: "Sending",
    no_connection_state: "No connection",
    not_sent_state: "Not sent",
    opens_offline: "This screen opens without a connection.",
    copy_word_one: "copy",
    copy_word_other: "copies",
    made_at: "{sale} · made {time}",
    why_login: "Not sent: log in again (above) to send them.",
    why_offline: "The phone is offline: they go as soon as it is online.",
    sending: "Sending…",
    why_trouble: "Not sent yet: {trouble}. Trying again shortly.",
    tap_again: "Tap again to cancel",
    cancel: "Cancel",
    action_on: "{action}: {sale}",
    elsewhere_one: "{n} sale of another table or store also waits on this phone: {link}.",
    elsewhere_other: "{n} sales of another table or store also wait on this phone: {link}.",
    elsewhere_link: "open its sale screen to send them",
    dismiss: "Dismiss",
    undo_offline: "Undo needs a connection.",
    not_recorded: "Not recorded: {reason}",
    only_left_of_one: "only {n} left of {label}",
    only_left_of_other: "only {n} left of {label}",
    none_left_of_short: "none left of {label}",
    tracker_refused: "the tracker refused it",
    advice_short: "Nothing to void. Tell the buyer, or sell another edition.",
    advice_dated: "Nothing to void. Record it again with another date (“Sold earlier?”).",
    advice_other: "Nothing to void. Settle it with the buyer; record it again if it should be.",
    recorded_one: "Recorded: {sale}.",
    change_after: "Change {amount}.",
    sales_recorded_one: "{n} sale recorded",
    sales_recorded_other: "{n} sales recorded",
    already_one: "Already recorded: {sale} (it had been sent before)",
    already_many_one: "{n} was already recorded (sent before)",
    already_many_other: "{n} were already recorded (sent before)",
    parts_end: "{parts}.",
    phone_trouble: "something went wrong on the phone",
    no_answer: "the tracker did not answer in time",
    no_connection: "no connection",
    unnamed: "the tracker's answer did not name these sales",
    refused_request: "the tracker refused this phone's request",
    unknown_place: "the tracker does not know this place as yours (logged in as someone else?)",
    unreadable: "the tracker could not read it",
    answered: "the tracker answered {status}",
    tap_first: "Tap a book first.",
    handed_amount: "Handed over: an amount such as 50 or 20.50.",
    less_than: "Less than the total ({total}).",
    not_a_date: "Sold at: {raw} is not a date and a time (such as 2024-03-01T14:30).",
    in_future: "Sold at: {date} is in the future. Give when it happened, or leave it empty for now.",
    line: "{qty} × {label}",
    sale: "{lines}, {total}, {payment}",
    sale_dated: "{lines}, {total}, {payment}, sold {date}",
    saved_mark: "✓ Saved",
    record_sale: "Record sale",
    not_kept: "The sale was NOT kept: this phone's storage refused it. Write it down, and try again.",
    saved: "Saved: {sale}.",
    cancelled: "Cancelled: {sale}. It was never sent.",
    the_sale: "the sale",
    give_login: "Give your email and your password.",
    not_logged_in: "Not logged in: check the email and the password.",
    still_logged_out: "Still not logged in: open the tracker in another tab to log in, then come back.",
    logged_in: "Logged in again: sending the waiting sales.",
    login_offline: "No connection: try again when the phone is online.",
    undo_needs: "Undo needs a connection: try again when the phone is online.",
    no_outbox: "This browser cannot keep sales on the phone: each sale is sent as it is recorded.",
    storage_unread: "This phone's storage cannot be read: sales are kept on the screen only.",
    utc_date: "{day} {month} {year} {time} UTC",
  };
  MONTHS.forEach((name, i) => {
    ENGLISH[`month_${i + 1}`] = name;
  });
  const WORDS = (() => {
    try {
      const el = document.getElementById("sale-words");
      const words = el ? JSON.parse(el.textContent) : null;
      return words && typeof words === "object" ? words : {};
    } catch (error) {
      return {};
    }
  })();
  const LANG = document.documentElement.lang || "en";
  // "{name}" in a text: the value given for it.
  const say = (key, values = {}) => {
    const text = typeof WORDS[key] === "string" && WORDS[key] ? WORDS[key] : ENGLISH[key];
    return text.replace(/\{([a-z_]+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  };

  // -- the outbox, in IndexedDB -------------------------------------------------------

  const openDb = () =>
    new Promise((resolve, reject) => {
      if (!window.indexedDB) {
        reject(new Error("This browser keeps no outbox."));
        return;
      }
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        // Each sale made on this phone until the tracker has answered for it (or, when
        // refused, until it is dismissed), by its key.
        db.createObjectStore("outbox", { keyPath: "key" }).createIndex("place", "place");
        // The newest figures known for each place: copies left, takings, last sale.
        db.createObjectStore("figures", { keyPath: "place" });
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => db.close();
        resolve(db);
      };
      request.onerror = () => reject(request.error);
    });

  // One transaction (once the database is open): `work` queues its requests and may set
  // `out.value`.
  const transact = async (opening, stores, mode, work) => {
    const db = await opening;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      const out = {};
      tx.oncomplete = () => resolve(out.value);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("The phone's storage refused the change."));
      work(tx, out);
    });
  };

  // -- words and numbers --------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, "0");
  const utcText = (date) =>
    say("utc_date", {
      day: pad(date.getUTCDate()),
      month: say(`month_${date.getUTCMonth() + 1}`),
      year: date.getUTCFullYear(),
      time: `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`,
    });
  const clock = (date) => `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const numberFormat = (options) => {
    try {
      return new Intl.NumberFormat(LANG, options);
    } catch (error) {
      return new Intl.NumberFormat("en", options);
    }
  };
  const number = numberFormat();
  const pluralRules = (() => {
    try {
      return new Intl.PluralRules(LANG);
    } catch (error) {
      return new Intl.PluralRules("en");
    }
  })();
  // A text with a number in it: the form for that number ("{n}" is the number).
  const sayN = (key, n, values = {}) =>
    say(`${key}_${pluralRules.select(n) === "one" ? "one" : "other"}`, { n: number.format(n), ...values });

  const newKey = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const sameKey = (key) => String(key || "").replace(/-/g, "").toLowerCase();

  // An amount as the reader's language writes it ("1 234,50" in Swedish, "1.234,50" in
  // German, "1,234.50" in English), in the plain form ("1234.50"): the language's decimal
  // symbol, or the other one where it cannot be grouping (not followed by three digits),
  // as the server reads it (tracker/domain/languages.py). Not an amount: as typed.
  const decimalSymbol =
    (numberFormat({}).formatToParts(1.5).find((part) => part.type === "decimal") || {}).value || ".";
  const grouped = (whole, separator) => {
    if (!whole.includes(separator)) return true;
    const [head, ...groups] = whole.split(separator);
    return head.length >= 1 && head.length <= 3 && groups.every((g) => g.length === 3);
  };
  const plainAmount = (text) => {
    const t = text.replace(/[\s\u00a0\u202f']/g, "");
    const other = decimalSymbol === "," ? "." : ",";
    if (!/^[0-9.,]+$/.test(t)) return t;
    const parts = t.split(decimalSymbol);
    if (parts.length > 2) return t;
    if (parts.length === 2) {
      const [whole, fraction] = parts;
      if (fraction.includes(other) || !grouped(whole, other)) return t;
      return `${whole.split(other).join("")}.${fraction}`;
    }
    if (t.includes(other)) {
      const p = t.split(other);
      if (p[0] && p[0].length <= 3 && p.slice(1).every((x) => x.length === 3)) return p.join("");
      if (p.length === 2) return `${p[0]}.${p[1]}`;
    }
    return t;
  };

  const moneyOf = (currency) => {
    const format = numberFormat({ style: "currency", currency });
    const exponent = format.resolvedOptions().maximumFractionDigits;
    const unit = 10 ** exponent;
    return {
      // "12.50" -> 1250; "" -> null; not an amount -> NaN.
      minor(text) {
        const t = plainAmount(String(text == null ? "" : text).trim());
        if (!t) return null;
        const m = /^([0-9]{0,9})(?:\.([0-9]*))?$/.exec(t);
        if (!m || (!m[1] && !m[2]) || (m[2] || "").length > exponent) return NaN;
        const fraction = ((m[2] || "") + "0".repeat(exponent)).slice(0, exponent);
        return Number(m[1] || "0") * unit + Number(fraction || "0");
      },
      decimal(minor) {
        if (!exponent) return String(minor);
        return `${Math.trunc(minor / unit)}.${String(minor % unit).padStart(exponent, "0")}`;
      },
      text(minor) {
        return format.format(minor / unit);
      },
      sign: (format.formatToParts(0).find((part) => part.type === "currency") || {}).value || currency,
    };
  };

  // -- the screen ---------------------------------------------------------------------

  const start = async (root) => {
    const place = Number(root.dataset.place);
    const salesUrl = root.dataset.salesUrl;
    const loginUrl = root.dataset.loginUrl;
    const loginPath = new URL(loginUrl, window.location.href).pathname;
    const kept = root.dataset.copy === "kept";
    const money = moneyOf(root.dataset.currency);
    const form = root.querySelector(".sale-form");
    const $ = (selector, within = document) => within.querySelector(selector);
    const $$ = (selector, within = document) => Array.from(within.querySelectorAll(selector));

    // The screen works as soon as the script starts; the outbox opens meanwhile.
    const db = openDb();
    db.catch(() => null);
    let enhanced = Boolean(form);

    const net = $("#net");
    const message = $("#sale-message");
    const relogin = $("#relogin");
    const refusedBox = $("#refused");
    const waitingBox = $("[data-waiting-list]");
    const elsewhere = $("[data-elsewhere]");
    const lastBox = $(".last-sale");
    const undo = $(".undo-form");
    // The session's CSRF token: the page's, fetched again when the tracker finds it stale.
    const meta = $('meta[name="csrf-token"]');

    // The tiles, from the page.
    const tiles = new Map();
    for (const el of form ? $$(".tile[data-key]", form) : []) {
      const input = $("input[name=item]", el);
      tiles.set(el.dataset.key, {
        el,
        input,
        edition: Number(el.dataset.edition),
        condition: el.dataset.condition,
        label: el.dataset.label,
        price: input && input.dataset.price ? money.minor(input.dataset.price) : null,
        stock: Number(el.dataset.stock) || 0,
      });
    }

    // The figures as a sale screen has them (this page, or one fetched again), and when
    // the tracker read them.
    const pageFigures = (doc) => {
      const value = (selector) => {
        const el = $(selector, doc);
        return el ? Number(el.dataset.value) || 0 : 0;
      };
      const lastText = $(".last-sale:not([hidden]) [data-last]", doc);
      const sell = $(".sell[data-place]", doc);
      return {
        place,
        at: Number(sell && sell.dataset.asOf) || 0,
        stock: Object.fromEntries(
          $$(".tile[data-key]", doc).map((el) => [el.dataset.key, Number(el.dataset.stock) || 0]),
        ),
        tally: {
          copies: value("[data-tally=copies]"),
          sales: value("[data-tally=sales]"),
          total_text: ($("[data-tally=total]", doc) || {}).textContent || "",
        },
        takings: Object.fromEntries(
          $$("[data-taking]", doc).map((cell) => [cell.dataset.taking, Number(cell.dataset.minor) || 0]),
        ),
        last:
          lastText && lastText.dataset.saleId
            ? { id: Number(lastText.dataset.saleId), text: lastText.textContent.trim().replace(/\s+/g, " ") }
            : null,
      };
    };

    // -- state --
    let figures = pageFigures(document);
    let entries = []; // this place's outbox, oldest first
    let others = []; // sales waiting for other places
    let sending = false;
    let again = false;
    let tries = 0;
    let timer = null;
    let trouble = ""; // why the last attempt to send failed
    let unreachable = false; // ... because the tracker could not be reached
    let needLogin = false;
    let inFlight = new Set();
    let batchSize = BATCH;
    let recording = false;
    let recordedAt = 0;
    let confirming = null; // the waiting sale whose Cancel asks to be tapped again
    let offlineReady = false;
    let seq = 0;
    // The figures are a kept copy's until the tracker answers.
    let keptOnly = kept;

    const outbox = {
      async load() {
        const all = await transact(db, ["outbox"], "readonly", (tx, out) => {
          const request = tx.objectStore("outbox").getAll();
          request.onsuccess = () => {
            out.value = request.result;
          };
        });
        const order = (a, b) => a.queued - b.queued || a.seq - b.seq;
        entries = all.filter((e) => e.place === place).sort(order);
        others = all.filter((e) => e.place !== place && e.state === "waiting");
      },
      put(entry) {
        return transact(db, ["outbox"], "readwrite", (tx) => tx.objectStore("outbox").put(entry));
      },
      remove(key) {
        return transact(db, ["outbox"], "readwrite", (tx) => tx.objectStore("outbox").delete(key));
      },
    };
    const keptFigures = () =>
      transact(db, ["figures"], "readonly", (tx, out) => {
        const request = tx.objectStore("figures").get(place);
        request.onsuccess = () => {
          out.value = request.result;
        };
      });
    const keepFigures = (value) =>
      transact(db, ["figures"], "readwrite", (tx) => tx.objectStore("figures").put(value));

    const waitingEntries = () => entries.filter((e) => e.state === "waiting");
    const refusedEntries = () => entries.filter((e) => e.state === "refused");
    const waitingCopies = () => {
      const counted = {};
      for (const entry of waitingEntries()) {
        for (const line of entry.lines) {
          const key = `${line.edition}:${line.condition}`;
          counted[key] = (counted[key] || 0) + line.qty;
        }
      }
      return counted;
    };
    const leftOf = (key, waiting = waitingCopies()) =>
      Math.max(0, (Number(figures.stock[key]) || 0) - (waiting[key] || 0));
    const stale = () => keptOnly || !navigator.onLine || waitingEntries().length > 0 || Boolean(trouble);

    const show = (text, kind = "success") => {
      message.replaceChildren();
      if (!text) return;
      const p = document.createElement("p");
      p.className = `flash flash-${kind}`;
      p.setAttribute("role", kind === "error" ? "alert" : "status");
      p.textContent = text;
      message.appendChild(p);
    };
    const setError = (el, text) => {
      if (!el) return;
      el.textContent = text || "";
      el.hidden = !text;
    };

    // -- the basket --
    const basket = new Map(); // tile key -> its line's elements
    const lines = form && $("[data-lines]", form);
    const template = $("#line-template");
    const payments = form ? $$("input[name=payment]", form) : [];
    const tendered = form && $("#tendered", form);
    const soldAt = form && $("#sold_at", form);
    const record = form && $("button.record", form);
    const paymentLabel = (input) => input.closest("label").textContent.trim().toLowerCase();
    const chosenPayment = () => payments.find((p) => p.checked) || payments[0];

    const soldAtError = () => {
      if (!soldAt) return null;
      let el = soldAt.parentElement.querySelector("[data-sold-at-error]");
      if (!el) {
        el = document.createElement("small");
        el.className = "field-error";
        el.dataset.soldAtError = "";
        el.setAttribute("role", "alert");
        el.hidden = true;
        soldAt.insertAdjacentElement("afterend", el);
      }
      return el;
    };

    const lineQty = (line) => {
      const raw = line.qty.value.trim();
      return /^[0-9]{1,6}$/.test(raw) ? Number(raw) : NaN;
    };
    const lineProblem = (key, line) => {
      const qty = lineQty(line);
      const left = leftOf(key);
      if (!(qty >= 1)) return say("copies_whole");
      if (qty > left) return left ? sayN("left", left) : say("none_left");
      const price = money.minor(line.price.value);
      if (price === null) return say("type_price");
      if (Number.isNaN(price)) return say("price_amount");
      return "";
    };
    // The sale's total, once every line has its copies and its price.
    const basketTotal = () => {
      let total = 0;
      for (const line of basket.values()) {
        const qty = lineQty(line);
        const price = money.minor(line.price.value);
        if (!(qty >= 1) || price === null || Number.isNaN(price)) return null;
        total += qty * price;
      }
      return total;
    };

    const addLine = (key) => {
      const tile = tiles.get(key);
      const el = template.content.firstElementChild.cloneNode(true);
      const line = {
        el,
        qty: $("[data-qty]", el),
        price: $("[data-price]", el),
        error: $("[data-line-error]", el),
      };
      $("[data-title]", el).textContent = tile.label;
      const label = tile.label;
      $(".stepper", el).setAttribute("aria-label", say("copies_of", { label }));
      line.qty.setAttribute("aria-label", say("copies_of", { label }));
      $("[data-step='-1']", el).setAttribute("aria-label", say("copy_fewer", { label }));
      $("[data-step='1']", el).setAttribute("aria-label", say("copy_more", { label }));
      line.price.setAttribute("aria-label", say("price_each", { label, currency: root.dataset.currency }));
      $("[data-currency-sign]", el).textContent = `× ${money.sign}`;
      $("[data-remove]", el).setAttribute("aria-label", say("take_out", { label }));
      line.qty.value = "1";
      line.price.value = tile.price === null ? "" : money.decimal(tile.price);
      el.dataset.key = key;
      basket.set(key, line);
      lines.appendChild(el);
      return line;
    };

    const step = (key, by) => {
      const line = basket.get(key);
      const qty = lineQty(line) || 0;
      const left = leftOf(key);
      if (by > 0 && qty >= left) {
        setError(line.error, left ? sayN("left", left) : say("none_left"));
        return;
      }
      if (by < 0 && qty <= 1) return;
      line.qty.value = String(Math.max(1, Math.min(left, qty + by)));
      setError(line.error, lineProblem(key, line));
      renderSale();
    };

    const addToSale = (key) => {
      setError($("[data-tiles-error]", form), "");
      // A new sale begins: the last one's word gives it the room (errors stay).
      if (!basket.size && !$(".flash-error", message)) show("");
      const left = leftOf(key);
      const line = basket.get(key);
      if (line) {
        step(key, 1);
        return;
      }
      if (!left) {
        setError($("[data-tiles-error]", form), say("none_left_of", { label: tiles.get(key).label }));
        return;
      }
      addLine(key);
      renderSale();
    };

    const clearSale = () => {
      basket.clear();
      lines.replaceChildren();
      for (const p of payments) p.checked = p.defaultChecked;
      if (tendered) tendered.value = "";
      const buyer = $("#buyer", form);
      if (buyer) buyer.value = "";
      const more = $("details.more", form);
      if (more) more.open = false;
      // A sale dated earlier dates only itself: the next one is made now again.
      if (soldAt) soldAt.value = "";
      setError(soldAtError(), "");
      setError($("[data-tendered-error]", form), "");
    };

    // -- what the screen shows --
    const renderTiles = () => {
      const waiting = waitingCopies();
      const old = stale();
      for (const [key, tile] of tiles) {
        const left = leftOf(key, waiting);
        $("[data-left]", tile.el).textContent = number.format(left);
        tile.el.classList.toggle("out", left === 0);
        tile.el.classList.toggle("stale", old);
        tile.el.classList.toggle("in-sale", basket.has(key));
        tile.el.setAttribute("aria-disabled", left === 0 ? "true" : "false");
        const line = basket.get(key);
        const badge = $("[data-in-sale]", tile.el);
        badge.hidden = !line;
        if (line) badge.textContent = sayN("in_sale", lineQty(line) || 0);
      }
      const note = form && $("[data-stale]", form);
      if (note) note.hidden = !old;
    };

    const renderSale = () => {
      if (!form) return;
      renderTiles();
      $("[data-basket-empty]", form).hidden = basket.size > 0;
      const total = basketTotal();
      $("[data-total]", form).textContent = basket.size && total !== null ? `· ${money.text(total)}` : "";
      const cash = chosenPayment() && chosenPayment().value === "cash";
      const box = $("[data-tendered]", form);
      box.hidden = !cash;
      const change = $("[data-change]", form);
      const given = tendered ? money.minor(tendered.value) : null;
      if (!cash || given === null || Number.isNaN(given) || total === null || !basket.size) {
        change.textContent = "";
      } else if (given >= total) {
        change.textContent = say("change", { amount: money.text(given - total) });
      } else {
        change.textContent = say("short", { amount: money.text(total - given) });
      }
    };

    const renderNet = () => {
      const waiting = waitingEntries().length;
      const refused = refusedEntries().length;
      let state = "online";
      let words = say("online");
      if (needLogin) [state, words] = ["login", say("logged_out")];
      else if (!navigator.onLine) [state, words] = ["offline", say("offline")];
      else if (sending) [state, words] = ["sending", say("sending_state")];
      else if (trouble) [state, words] = ["trouble", say(unreachable ? "no_connection_state" : "not_sent_state")];
      net.hidden = false;
      net.dataset.netState = state;
      net.dataset.offlineReady = offlineReady ? "yes" : "no";
      net.title = offlineReady ? say("opens_offline") : "";
      $("[data-net]", net).textContent = words;
      for (const el of $$("[data-waiting]")) el.textContent = number.format(waiting);
      $("[data-refused-line]", net).hidden = !refused;
      $("[data-refused-count]", net).textContent = number.format(refused);
    };

    const renderTally = () => {
      const { tally, takings } = figures;
      const set = (selector, text) => {
        for (const el of $$(selector)) el.textContent = text;
      };
      set("[data-tally=copies]", number.format(tally.copies));
      set("[data-tally=copies-word]", sayN("copy_word", tally.copies));
      set("[data-tally=total]", tally.total_text);
      set("[data-tally=sales]", number.format(tally.sales));
      for (const [method, minor] of Object.entries(takings || {})) {
        set(`[data-taking="${method}"]`, money.text(minor));
      }
    };

    const renderLast = () => {
      if (!lastBox) return;
      const last = figures.last;
      lastBox.hidden = !last;
      if (!last) return;
      const text = $("[data-last]", lastBox);
      if (text.dataset.saleId !== String(last.id) && undo) {
        delete undo.dataset.sent;
        const button = $("button", undo);
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
      text.textContent = last.text;
      text.dataset.saleId = String(last.id);
      if (undo) $("input[name=sale_id]", undo).value = String(last.id);
    };

    const entryLine = (entry) => {
      const li = document.createElement("li");
      const what = document.createElement("span");
      what.textContent = say("made_at", { sale: entry.text, time: clock(new Date(entry.made_at)) });
      li.appendChild(what);
      return li;
    };

    const renderWaiting = () => {
      const waiting = waitingEntries();
      waitingBox.hidden = !waiting.length;
      const why = $("[data-waiting-why]", waitingBox);
      if (needLogin) why.textContent = say("why_login");
      else if (!navigator.onLine) why.textContent = say("why_offline");
      else if (sending) why.textContent = say("sending");
      else if (trouble) why.textContent = say("why_trouble", { trouble: trouble.replace(/[.\s]+$/, "") });
      else why.textContent = "";
      const list = $("[data-waiting-items]", waitingBox);
      list.replaceChildren(
        ...waiting.map((entry) => {
          const li = entryLine(entry);
          const cancel = document.createElement("button");
          cancel.type = "button";
          cancel.className = "secondary outline";
          cancel.dataset.cancel = entry.key;
          if (inFlight.has(entry.key)) {
            cancel.disabled = true;
            cancel.textContent = say("sending");
          } else {
            cancel.textContent = say(confirming === entry.key ? "tap_again" : "cancel");
          }
          cancel.setAttribute("aria-label", say("action_on", { action: cancel.textContent, sale: entry.text }));
          li.appendChild(cancel);
          return li;
        }),
      );
      if (others.length) {
        elsewhere.replaceChildren();
        const link = document.createElement("a");
        link.href = others[0].page;
        link.textContent = say("elsewhere_link");
        const [before, ...after] = sayN("elsewhere", others.length, { link: "\u0000" }).split("\u0000");
        elsewhere.append(before, link, after.join(""));
      }
      elsewhere.hidden = !others.length;
    };

    const renderRefused = () => {
      const refused = refusedEntries();
      refusedBox.hidden = !refused.length;
      $("[data-refused-items]", refusedBox).replaceChildren(
        ...refused.map((entry) => {
          const li = document.createElement("li");
          li.className = "refused-item";
          const head = document.createElement("p");
          const strong = document.createElement("strong");
          strong.textContent = entry.reason;
          head.appendChild(strong);
          const what = document.createElement("p");
          what.className = "what";
          what.textContent = say("made_at", { sale: entry.text, time: clock(new Date(entry.made_at)) });
          const advice = document.createElement("p");
          advice.className = "advice";
          advice.textContent = entry.advice;
          const dismiss = document.createElement("button");
          dismiss.type = "button";
          dismiss.className = "secondary";
          dismiss.dataset.dismiss = entry.key;
          dismiss.textContent = say("dismiss");
          dismiss.setAttribute("aria-label", say("action_on", { action: dismiss.textContent, sale: entry.text }));
          const row = document.createElement("div");
          row.className = "advice-row";
          row.append(advice, dismiss);
          li.append(head, what, row);
          return li;
        }),
      );
    };

    const render = () => {
      renderNet();
      renderTally();
      renderLast();
      renderWaiting();
      renderRefused();
      if (undo) {
        const button = $("button", undo);
        button.title = navigator.onLine ? "" : say("undo_offline");
      }
      if (form) renderSale();
    };

    // -- sending what waits --
    const loggedOut = (response) =>
      response.status === 401 ||
      (response.redirected && new URL(response.url).pathname === loginPath);

    const setToken = (fresh) => {
      if (meta) meta.content = fresh;
      for (const input of $$("input[name=csrf_token]")) input.value = fresh;
    };

    // The sale screen again, from the tracker: the session's CSRF token (the page's may be
    // stale), and its figures when they are newer than the ones shown.
    const refreshPage = async () => {
      const response = await fetch(window.location.pathname, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      });
      if (loggedOut(response)) return "login";
      if (!response.ok) return "failed";
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector('meta[name="csrf-token"]');
      if (!fresh || !fresh.content) return "failed";
      setToken(fresh.content);
      const read = pageFigures(page);
      if (read.at > figures.at) {
        // A tile the page no longer shows has no copies left.
        const none = Object.fromEntries(Object.keys(figures.stock).map((key) => [key, 0]));
        figures = { ...read, stock: { ...none, ...read.stock } };
        keptOnly = false;
        await keepFigures(figures).catch(() => null);
      }
      return "ok";
    };

    const wire = (entry) => {
      const sale = {
        key: entry.key,
        made_at: entry.made_at,
        payment: entry.payment,
        lines: entry.lines.map(({ edition, condition, qty, price }) => ({
          edition,
          condition,
          qty,
          ...(price ? { price } : {}),
        })),
      };
      if (entry.tendered) sale.tendered = entry.tendered;
      if (entry.buyer) sale.buyer = entry.buyer;
      return sale;
    };

    const post = async (batch) => {
      const controller = new AbortController();
      const timeout = setTimeout(() => controller.abort(), WAIT_MS);
      try {
        const response = await fetch(salesUrl, {
          method: "POST",
          credentials: "same-origin",
          cache: "no-store",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": meta ? meta.content : "",
          },
          body: JSON.stringify({ sales: batch.map(wire) }),
          signal: controller.signal,
        });
        const type = response.headers.get("Content-Type") || "";
        const data = type.includes("json") ? await response.json().catch(() => null) : null;
        return { response, data };
      } finally {
        clearTimeout(timeout);
      }
    };

    const problemText = (data, fallback) =>
      (data && (data.detail || data.message || data.title || data.error)) || fallback;

    // Why a sale was refused, in the words of the copies left when it can be said so.
    const refusal = (entry, error, stock) => {
      const detail = (error && (error.detail || error.title)) || "";
      // A place's copies the answer leaves out are none, when the refusal is of copies.
      const ofCopies = /stock|cop(y|ies)|left/i.test(`${(error && error.type) || ""} ${detail}`);
      const leftNow = (line) => {
        const key = `${line.edition}:${line.condition}`;
        if (stock && key in stock) return Number(stock[key]);
        return ofCopies ? 0 : null;
      };
      const short = entry.lines.filter((line) => leftNow(line) !== null && line.qty > leftNow(line));
      if (short.length) {
        // (The tracker's own words name the place and the ISBN: more than a table needs.)
        return {
          reason: say("not_recorded", {
            reason: short
              .map((line) => {
                const left = leftNow(line);
                return left
                  ? sayN("only_left_of", left, { label: line.label })
                  : say("none_left_of_short", { label: line.label });
              })
              .join("; "),
          }),
          advice: say("advice_short"),
        };
      }
      const dated = error && (error.field === "made_at" || /date|future|too far back|closed/i.test(detail));
      return {
        reason: say("not_recorded", { reason: detail || say("tracker_refused") }),
        advice: dated ? say("advice_dated") : say("advice_other"),
      };
    };

    // The tracker's answer for a batch: the outbox and the figures change together.
    const settle = async (batch, data, response) => {
      const byKey = new Map(batch.map((entry) => [sameKey(entry.key), entry]));
      const done = [];
      const before = [];
      const refused = [];
      for (const result of data.results || []) {
        const entry = byKey.get(sameKey(result.key));
        if (!entry) continue;
        if (result.status === "recorded") done.push([entry, result]);
        else if (result.status === "already_recorded") before.push(entry);
        else if (result.status === "refused") refused.push([entry, result]);
      }
      // The figures: the tracker's, newer than any kept (its clock, never behind them).
      const date = Date.parse(response.headers.get("Date") || "") || Date.now();
      const stock = { ...figures.stock };
      const answered = data.stock || {};
      for (const entry of batch) {
        for (const line of entry.lines) {
          const key = `${line.edition}:${line.condition}`;
          if (!(key in answered)) stock[key] = 0;
        }
      }
      Object.assign(stock, answered);
      const takings = { ...figures.takings };
      for (const [entry, result] of done) {
        const total = result.sale && typeof result.sale.total === "string" ? money.minor(result.sale.total) : NaN;
        const amount = Number.isNaN(total) || total === null ? entry.total : total;
        takings[entry.payment] = (takings[entry.payment] || 0) + amount;
      }
      const tally = data.tally
        ? {
            copies: Number(data.tally.copies) || 0,
            sales: Number(data.tally.sales) || 0,
            total_text: data.tally.total_text || figures.tally.total_text,
          }
        : figures.tally;
      const next = {
        place,
        at: Math.max(date, figures.at + 1),
        stock,
        tally,
        takings,
        last: !("last" in data)
          ? figures.last
          : data.last && data.last.id
            ? { id: data.last.id, text: data.last.text || "" }
            : null,
      };
      await transact(db, ["outbox", "figures"], "readwrite", (tx) => {
        const store = tx.objectStore("outbox");
        for (const [entry] of done) store.delete(entry.key);
        for (const entry of before) store.delete(entry.key);
        for (const [entry, result] of refused) {
          store.put({
            ...entry,
            state: "refused",
            refused_at: Date.now(),
            error: result.error || null,
            ...refusal(entry, result.error, data.stock),
          });
        }
        tx.objectStore("figures").put(next);
      });
      figures = next;
      keptOnly = false;
      return { done, before, refused };
    };

    const announce = ({ done, before, refused }) => {
      if (refused.length) {
        // The refused list at the top says it (it is an alert); this makes room for it.
        show("");
        return;
      }
      const parts = [];
      if (done.length === 1 && !before.length) {
        const [entry] = done[0];
        const change = entry.change ? ` ${say("change_after", { amount: money.text(entry.change) })}` : "";
        show(`${say("recorded_one", { sale: entry.text })}${change}`);
        return;
      }
      if (done.length) parts.push(sayN("sales_recorded", done.length));
      if (before.length) {
        parts.push(
          before.length === 1 && !done.length
            ? say("already_one", { sale: before[0].text })
            : sayN("already_many", before.length),
        );
      }
      if (parts.length) show(say("parts_end", { parts: parts.join("; ") }));
    };

    const retryLater = (why, seconds) => {
      trouble = why;
      unreachable = false;
      tries += 1;
      let wait = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** (tries - 1));
      wait *= 0.8 + Math.random() * 0.4;
      if (seconds) wait = Math.max(wait, seconds * 1000);
      clearTimeout(timer);
      timer = setTimeout(flush, wait);
    };

    const sendAll = async () => {
      let tokenRefreshed = false;
      for (;;) {
        await outbox.load();
        const waiting = waitingEntries();
        if (!waiting.length) {
          tries = 0;
          trouble = "";
          return;
        }
        if (needLogin) return;
        if (!navigator.onLine) return; // the online event sends them
        const batch = waiting.slice(0, batchSize);
        inFlight = new Set(batch.map((entry) => entry.key));
        render();
        let answer;
        try {
          answer = await post(batch);
        } catch (error) {
          retryLater(say(error && error.name === "AbortError" ? "no_answer" : "no_connection"));
          unreachable = true;
          return;
        }
        const { response, data } = answer;
        inFlight = new Set();
        if (response.ok && data && Array.isArray(data.results)) {
          const fates = await settle(batch, data, response);
          announce(fates);
          if (!fates.done.length && !fates.before.length && !fates.refused.length) {
            // An answer that names none of them: not sent, as far as this phone knows.
            retryLater(say("unnamed"));
            return;
          }
          tries = 0;
          trouble = "";
          batchSize = BATCH;
          continue;
        }
        if (loggedOut(response)) {
          needLogin = true;
          relogin.hidden = false;
          trouble = "";
          return;
        }
        if (response.status === 403 || (response.status === 400 && /csrf/i.test(problemText(data, "")))) {
          // The page's token is stale: fetch it again, once, and send again.
          const state = tokenRefreshed ? "failed" : await refreshPage().catch(() => "failed");
          tokenRefreshed = true;
          if (state === "ok") continue;
          if (state === "login") {
            needLogin = true;
            relogin.hidden = false;
            return;
          }
          retryLater(problemText(data, say("refused_request")));
          return;
        }
        if (response.status === 404) {
          retryLater(say("unknown_place"));
          return;
        }
        if (response.status === 413) {
          batchSize = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        if (response.status === 400 || response.status === 422) {
          if (batch.length > 1) {
            // One of them cannot be read: send them one by one to find it.
            batchSize = 1;
            continue;
          }
          const detail = problemText(data, say("unreadable"));
          await outbox.put({
            ...batch[0],
            state: "refused",
            refused_at: Date.now(),
            error: { detail },
            reason: say("not_recorded", { reason: detail }),
            advice: say("advice_other"),
          });
          show("");
          continue;
        }
        const wait = Number(response.headers.get("Retry-After")) || 0;
        retryLater(problemText(data, say("answered", { status: response.status })), wait);
        return;
      }
    };

    // Send what waits, one round at a time (and one tab at a time, where the browser can).
    async function flush() {
      if (sending) {
        again = true;
        return;
      }
      clearTimeout(timer);
      timer = null;
      sending = true;
      render();
      try {
        if (navigator.locks) await navigator.locks.request(`tracker-outbox-${place}`, sendAll);
        else await sendAll();
      } catch (error) {
        retryLater(say("phone_trouble"));
      } finally {
        sending = false;
        inFlight = new Set();
      }
      // A kept copy of the page, online again with nothing to send: its figures afresh.
      if (keptOnly && navigator.onLine && !needLogin && !trouble) await refreshPage().catch(() => null);
      await outbox.load().catch(() => null);
      render();
      if (again) {
        again = false;
        flush();
      }
    }

    // -- recording a sale --
    const compose = () => {
      const tilesError = $("[data-tiles-error]", form);
      if (!basket.size) {
        setError(tilesError, say("tap_first"));
        return null;
      }
      let wrong = null;
      const saleLines = [];
      let total = 0;
      for (const [key, line] of basket) {
        const problem = lineProblem(key, line);
        setError(line.error, problem);
        if (problem) {
          wrong = wrong || line.qty;
          continue;
        }
        const tile = tiles.get(key);
        const qty = lineQty(line);
        const price = money.minor(line.price.value);
        total += qty * price;
        saleLines.push({
          edition: tile.edition,
          condition: tile.condition,
          qty,
          price: money.decimal(price),
          label: tile.label,
        });
      }
      const payment = chosenPayment();
      let given = null;
      const tenderedError = $("[data-tendered-error]", form);
      setError(tenderedError, "");
      if (payment.value === "cash" && tendered && tendered.value.trim()) {
        given = money.minor(tendered.value);
        if (Number.isNaN(given)) setError(tenderedError, say("handed_amount"));
        else if (!wrong && given < total) setError(tenderedError, say("less_than", { total: money.text(total) }));
        if (!tenderedError.hidden) wrong = wrong || tendered;
      }
      let made = new Date();
      let dated = false;
      const dateError = soldAtError();
      setError(dateError, "");
      if (soldAt && soldAt.value.trim()) {
        const raw = soldAt.value.trim();
        const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})/.exec(raw);
        const when = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5])) : null;
        if (!when || Number.isNaN(when.getTime()) || when.getUTCDate() !== +m[3]) {
          setError(dateError, say("not_a_date", { raw }));
        } else if (when.getTime() > Date.now() + 60000) {
          setError(dateError, say("in_future", { date: utcText(when) }));
        } else {
          made = when;
          dated = true;
        }
        if (!dateError.hidden) {
          soldAt.closest("details").open = true;
          wrong = wrong || soldAt;
        }
      }
      if (wrong) {
        wrong.focus();
        return null;
      }
      const buyerField = $("#buyer", form);
      const buyer = buyerField ? buyerField.value.trim().slice(0, 200) : "";
      const text = say(dated ? "sale_dated" : "sale", {
        lines: saleLines.map((line) => say("line", { qty: line.qty, label: line.label })).join(", "),
        total: money.text(total),
        payment: paymentLabel(payment),
        date: dated ? utcText(made) : "",
      });
      seq += 1;
      return {
        key: newKey(),
        place,
        page: window.location.pathname,
        made_at: made.toISOString(),
        payment: payment.value,
        ...(given !== null ? { tendered: money.decimal(given), change: given - total } : {}),
        ...(buyer ? { buyer } : {}),
        lines: saleLines,
        total,
        text,
        state: "waiting",
        queued: Date.now(),
        seq,
      };
    };

    const recorded = () => {
      const label = $("[data-record-label]", record);
      record.classList.add("done");
      record.setAttribute("aria-disabled", "true");
      label.textContent = say("saved_mark");
      setTimeout(() => {
        record.classList.remove("done");
        record.removeAttribute("aria-disabled");
        label.textContent = say("record_sale");
      }, DOUBLE_TAP_MS);
    };

    const backToTiles = () => {
      window.scrollTo(0, 0);
      const first = Array.from(tiles.values()).find((t) => !t.el.classList.contains("out"));
      if (first) first.el.focus({ preventScroll: true });
    };

    if (form) {
      // The tiles add to the sale; the plain form's own fields give way to the basket.
      for (const el of $$(".plain-only", form)) el.hidden = true;
      for (const el of $$(".js-only", form)) el.hidden = false;
      $("[data-basket]", form).hidden = false;
      for (const [key, tile] of tiles) {
        if (tile.input) {
          tile.input.checked = false;
          tile.input.disabled = true;
          tile.input.tabIndex = -1;
        }
        tile.el.tabIndex = 0;
        tile.el.setAttribute("role", "button");
        tile.el.addEventListener("click", (event) => {
          if (!enhanced) return;
          event.preventDefault();
          addToSale(key);
        });
        tile.el.addEventListener("keydown", (event) => {
          if (enhanced && (event.key === "Enter" || event.key === " ")) {
            event.preventDefault();
            addToSale(key);
          }
        });
      }
      lines.addEventListener("click", (event) => {
        const button = event.target.closest("button");
        if (!button) return;
        const key = button.closest(".line").dataset.key;
        if (button.dataset.step) step(key, Number(button.dataset.step));
        else if ("remove" in button.dataset) {
          basket.get(key).el.remove();
          basket.delete(key);
          renderSale();
        }
      });
      lines.addEventListener("input", (event) => {
        const li = event.target.closest(".line");
        if (!li) return;
        const line = basket.get(li.dataset.key);
        setError(line.error, lineProblem(li.dataset.key, line));
        renderSale();
      });
      form.addEventListener("input", () => enhanced && renderSale());
      form.addEventListener("change", () => enhanced && renderSale());

      form.addEventListener("submit", async (event) => {
        if (!enhanced) return;
        event.preventDefault();
        // A second tap on the way, or just after a sale, records nothing more.
        if (recording || Date.now() - recordedAt < DOUBLE_TAP_MS) return;
        recording = true;
        try {
          const entry = compose();
          if (!entry) return;
          try {
            await outbox.put(entry);
          } catch (error) {
            show(say("not_kept"), "error");
            return;
          }
          recordedAt = Date.now();
          entries.push(entry);
          clearSale();
          recorded();
          const change = entry.change ? ` ${say("change_after", { amount: money.text(entry.change) })}` : "";
          // (Where it goes from here, the bar at the top says: sending, waiting, offline.)
          show(`${say("saved", { sale: entry.text })}${change}`);
          render();
          backToTiles();
          flush();
        } finally {
          recording = false;
        }
      });
    }

    // -- the rest of the screen --
    waitingBox.addEventListener("click", async (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if ("sendNow" in button.dataset) {
        tries = 0;
        flush();
        return;
      }
      const key = button.dataset.cancel;
      if (!key || inFlight.has(key)) return;
      if (confirming !== key) {
        confirming = key;
        renderWaiting();
        setTimeout(() => {
          if (confirming === key) {
            confirming = null;
            renderWaiting();
          }
        }, 4000);
        return;
      }
      confirming = null;
      const entry = entries.find((e) => e.key === key);
      await outbox.remove(key);
      await outbox.load();
      show(say("cancelled", { sale: entry ? entry.text : say("the_sale") }), "message");
      render();
    });

    refusedBox.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-dismiss]");
      if (!button) return;
      await outbox.remove(button.dataset.dismiss);
      await outbox.load();
      render();
    });

    const panel = $(".relogin-form", relogin);
    const emailField = $("input[name=email]", panel);
    const passwordField = $("input[name=password]", panel);
    const logIn = async () => {
      const error = $("[data-login-error]", panel);
      const button = $("button", panel);
      if (button.disabled) return;
      const email = emailField.value.trim();
      const password = passwordField.value;
      setError(error, "");
      if (!email || !password) {
        setError(error, say("give_login"));
        return;
      }
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
      try {
        const page = await fetch(loginUrl, { credentials: "same-origin", cache: "no-store" });
        if (!page.redirected || loggedOut(page)) {
          const html = new DOMParser().parseFromString(await page.text(), "text/html");
          const csrf = html.querySelector("input[name=csrf_token]");
          const body = new URLSearchParams({ csrf_token: csrf ? csrf.value : "", email, password });
          const answer = await fetch(loginUrl, {
            method: "POST",
            body,
            credentials: "same-origin",
            cache: "no-store",
            redirect: "manual",
          });
          if (answer.type !== "opaqueredirect") {
            const reply = new DOMParser().parseFromString(await answer.text(), "text/html");
            const said = reply.querySelector(".flash-error");
            setError(error, said ? said.textContent.trim() : say("not_logged_in"));
            return;
          }
        }
        const state = await refreshPage();
        if (state !== "ok") {
          setError(error, say("still_logged_out"));
          return;
        }
        needLogin = false;
        passwordField.value = "";
        relogin.hidden = true;
        show(say("logged_in"), "message");
        tries = 0;
        flush();
      } catch (failure) {
        setError(error, say("login_offline"));
      } finally {
        button.removeAttribute("aria-busy");
        button.disabled = false;
      }
    };
    $("[data-log-in]", panel).addEventListener("click", logIn);
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.matches("input")) {
        event.preventDefault();
        logIn();
      }
    });

    // Undo names the sale it undoes, needs the tracker, and is sent once.
    if (undo) {
      undo.addEventListener("submit", (event) => {
        const button = $("button", undo);
        if (undo.dataset.sent) {
          event.preventDefault();
          return;
        }
        if (!navigator.onLine) {
          event.preventDefault();
          show(say("undo_needs"), "error");
          return;
        }
        undo.dataset.sent = "1";
        button.setAttribute("aria-busy", "true");
        setTimeout(() => {
          button.disabled = true;
        });
      });
    }

    window.addEventListener("online", () => {
      tries = 0;
      trouble = "";
      flush();
    });
    window.addEventListener("offline", render);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") flush();
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) flush();
    });

    try {
      await db;
    } catch (error) {
      // No outbox in this browser: the plain form, posted one sale at a time.
      enhanced = false;
      plainForm(form, tiles);
      show(say("no_outbox"), "message");
      return;
    }
    // The newest figures known: the page's, unless this phone kept newer ones.
    try {
      const stored = await keptFigures();
      if (stored && stored.at > figures.at) {
        figures = { ...stored, stock: { ...figures.stock, ...stored.stock } };
      } else if (!kept) {
        await keepFigures(figures);
      }
      await outbox.load();
    } catch (error) {
      show(say("storage_unread"), "error");
    }
    render();
    root.dataset.ready = "yes";
    flush();

    // The screen opens without a connection once the worker keeps this page.
    if ("serviceWorker" in navigator && root.dataset.worker) {
      try {
        await navigator.serviceWorker.register(root.dataset.worker, { scope: root.dataset.scope });
        const registration = await navigator.serviceWorker.ready;
        offlineReady = await new Promise((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (event) => resolve(Boolean(event.data && event.data.kept));
          registration.active.postMessage({ type: "keep-page", url: window.location.href }, [channel.port2]);
          setTimeout(() => resolve(false), 20000);
        });
      } catch (error) {
        offlineReady = false;
      }
      renderNet();
    }
  };

  // Without an outbox: the plain form again, with its stepper.
  const plainForm = (form, tiles) => {
    if (!form) return;
    for (const el of form.querySelectorAll(".plain-only")) el.hidden = false;
    for (const el of form.querySelectorAll(".js-only, [data-basket], [data-tendered]")) el.hidden = true;
    let first = true;
    for (const tile of tiles.values()) {
      tile.el.removeAttribute("role");
      tile.el.removeAttribute("tabindex");
      tile.el.classList.remove("in-sale", "out", "stale");
      if (tile.input) {
        tile.input.disabled = false;
        tile.input.removeAttribute("tabindex");
        tile.input.checked = first;
        first = false;
      }
    }
    const qty = form.querySelector("#qty");
    for (const button of form.querySelectorAll(".plain-only [data-step]")) {
      button.addEventListener("click", () => {
        const n = parseInt(qty.value, 10);
        qty.value = String(Math.max(1, (Number.isFinite(n) ? n : 1) + Number(button.dataset.step)));
      });
    }
  };

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.querySelector(".sell[data-place]");
    if (root) start(root);
  });
})();
