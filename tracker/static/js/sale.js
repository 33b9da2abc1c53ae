// The sale screen: the copies stepper and the total on the button. The page works
// without it (the stepper is a plain field, the total is counted by the server).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector(".sale-form");
  if (!form) return;
  const qty = form.querySelector("#qty");
  const price = form.querySelector("#price");
  const total = form.querySelector("[data-total]");
  const money = new Intl.NumberFormat(undefined, {
    style: "currency",
    currency: form.dataset.currency,
  });

  const copies = () => {
    const n = parseInt(qty.value, 10);
    return Number.isFinite(n) && n > 0 ? n : 1;
  };
  const unitPrice = () => {
    const typed = price && price.value.trim().replace(",", ".");
    if (typed) return Number(typed);
    const chosen = form.querySelector("input[name=item]:checked");
    return chosen && chosen.dataset.price ? Number(chosen.dataset.price) : NaN;
  };
  const update = () => {
    const amount = copies() * unitPrice();
    total.textContent = Number.isFinite(amount) ? "· " + money.format(amount) : "";
  };

  for (const button of form.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => {
      qty.value = Math.max(1, copies() + Number(button.dataset.step));
      update();
    });
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  // One tap records one sale, in one round trip: the script sends the form and shows
  // what the answer says (the figures, the copies left, the last sale) without loading
  // the page again. When the server cannot record it (503: its database is down, frozen
  // or busy) or the network fails, the screen says the sale was NOT recorded and keeps
  // it as it was filled in, with the same one-time key: pressing Record again sends it
  // again, and if the first one did land after all, the key makes the second land on it.
  // (Nothing is kept if the page is closed: an offline outbox is not built yet.)
  // Without the script, or if the answer is one it does not understand (logged out),
  // the form is posted the plain way, with the same key: never twice.
  const button = form.querySelector("button[type=submit]");
  const key = form.querySelector("input[name=submission_key]");
  const message = document.getElementById("sale-message");
  const last = document.querySelector(".last-sale");
  let busy = false;

  const show = (text, kind) => {
    message.replaceChildren();
    if (!text) return;
    const p = document.createElement("p");
    p.className = `flash flash-${kind}`;
    p.setAttribute("role", kind === "error" ? "alert" : "status");
    p.textContent = text;
    message.appendChild(p);
  };
  const setText = (selector, text) => {
    for (const node of document.querySelectorAll(selector)) node.textContent = text;
  };
  const number = new Intl.NumberFormat("en-GB");

  const apply = (data) => {
    show(data.message, data.category || "success");
    setText("[data-tally=copies]", number.format(data.tally.copies));
    setText("[data-tally=copies-word]", data.tally.copies === 1 ? "copy" : "copies");
    setText("[data-tally=total]", data.tally.total);
    setText("[data-tally=sales]", number.format(data.tally.sales));
    for (const [method, amount] of Object.entries(data.tally.takings)) {
      setText(`[data-taking="${method}"]`, amount);
    }
    let available = 0;
    for (const input of form.querySelectorAll("input[name=item]")) {
      const tile = input.closest(".tile");
      const left = data.stock[input.value] || 0;
      tile.querySelector("[data-left]").textContent = number.format(left);
      tile.hidden = left === 0;
      input.disabled = left === 0;
      if (left) available += 1;
    }
    if (!available) {
      window.location.reload();
      return;
    }
    const chosen = form.querySelector("input[name=item]:checked");
    if (!chosen || chosen.disabled) form.querySelector("input[name=item]:not(:disabled)").checked = true;
    if (data.last && last) {
      last.querySelector("[data-last]").textContent = data.last;
      // Undo names the sale it undoes: a second tap never undoes an earlier one.
      last.querySelector("input[name=sale_id]").value = data.last_id;
      last.hidden = false;
    }
    key.value = data.next_key;
    qty.value = 1;
    // The next sale starts as the page did: paid by the usual method.
    for (const pay of form.querySelectorAll("input[name=payment]")) pay.checked = pay.defaultChecked;
    if (price) price.value = "";
    const buyer = form.querySelector("#buyer");
    if (buyer) buyer.value = "";
    // A sale dated earlier dates only itself: the next one is made now again.
    const soldAt = form.querySelector("#sold_at");
    if (soldAt) soldAt.value = "";
    update();
  };

  const refuse = (data) => {
    // A date the server refused is shown where it was typed.
    const soldAt = form.querySelector("#sold_at");
    if (soldAt && data.errors && data.errors.sold_at) soldAt.closest("details").open = true;
    const fields = Object.values(data.errors || {}).flat();
    show([data.message, ...fields].filter(Boolean).join(" ") || "The sale was not recorded.", "error");
  };

  // Undo: one tap sends it once.
  const undo = document.querySelector(".undo-form");
  if (undo) {
    undo.addEventListener("submit", (event) => {
      if (undo.dataset.sent) event.preventDefault();
      undo.dataset.sent = "1";
      const submit = undo.querySelector("button");
      if (submit) submit.setAttribute("aria-busy", "true");
    });
  }

  // The server answers within its database timeouts (well under 30 s); past this, the
  // request is given up and the sale stays on the screen.
  const WAIT_MS = 45000;

  const keep = (why) => {
    show(
      `The sale was NOT recorded: ${why} It is still on the screen as you entered it: ` +
        "press “Record sale” to send it again (it will not be counted twice).",
      "error",
    );
  };

  form.addEventListener("submit", async (event) => {
    if (!window.fetch || !window.FormData || !key || !message) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    let plain = false;
    const controller = window.AbortController ? new AbortController() : null;
    const timer = controller && setTimeout(() => controller.abort(), WAIT_MS);
    try {
      const response = await fetch(window.location.href, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined,
      });
      const type = response.headers.get("Content-Type") || "";
      if (type.includes("application/json")) {
        const data = await response.json();
        if (data.ok) apply(data);
        else if (response.status >= 500) keep(data.message || `the server answered ${response.status}.`);
        else refuse(data);
      } else if (response.status >= 500) {
        // A proxy or the server's last resort answered, not the tracker.
        keep(`the server answered ${response.status}.`);
      } else {
        plain = true;
      }
    } catch (error) {
      keep(
        error && error.name === "AbortError"
          ? "the server did not answer in time."
          : "the network failed (no connection?).",
      );
    } finally {
      if (timer) clearTimeout(timer);
      busy = false;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
    // Logged out, or an answer the script does not know: let the browser post it.
    if (plain) form.submit();
  });
  update();
});
