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
  // One tap records one sale: a second tap while the first is on its way does nothing.
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    setTimeout(() => { button.disabled = true; button.setAttribute("aria-busy", "true"); }, 0);
  });
  update();
});
