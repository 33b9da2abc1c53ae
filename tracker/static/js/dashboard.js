// The dashboard: sortable tables, and charts drawn from the tables of numbers under
// them (the tables are the data; a chart never shows a figure the page does not).
"use strict";

(() => {
  // A palette that stays apart for 15 series, in colour and in greyscale print.
  const PALETTE = [
    "#b3261e", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
  ];
  const colour = (i) => PALETTE[i % PALETTE.length];
  // The page's language: its dates and numbers are written as the reader writes them.
  // English days stay as they always were: 6 Jan 25.
  const LANG = document.documentElement.lang || "en";
  const DAY_LOCALE = LANG === "en" ? "en-GB" : LANG;
  const dayFormat = (() => {
    const options = { day: "numeric", month: "short", year: "2-digit", timeZone: "UTC" };
    try {
      return new Intl.DateTimeFormat(DAY_LOCALE, options);
    } catch (error) {
      return new Intl.DateTimeFormat("en-GB", options);
    }
  })();
  const numberLocale = (() => {
    try {
      return Intl.NumberFormat.supportedLocalesOf([LANG]).length ? LANG : "en";
    } catch (error) {
      return "en";
    }
  })();

  function sortable(table) {
    const headers = Array.from(table.tHead.rows[0].cells);
    headers.forEach((th, column) => {
      if (!th.dataset.sort) return;
      th.tabIndex = 0;
      th.classList.add("sort-button");
      const sort = () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach((other) => other.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent.trim();
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const order = th.dataset.sort === "number"
            ? Number(x) - Number(y)
            : x.localeCompare(y, numberLocale);
          return ascending ? order : -order;
        });
        rows.forEach((row) => body.appendChild(row));
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sort();
        }
      });
    });
  }

  function readTable(table) {
    const heads = Array.from(table.tHead.rows[0].cells);
    const series = heads
      .map((th, index) => ({ index, name: th.dataset.series, stack: th.dataset.stack }))
      .filter((s) => s.name !== undefined);
    const labels = [];
    const values = series.map(() => []);
    for (const row of table.tBodies[0].rows) {
      labels.push(row.cells[0].dataset.label);
      series.forEach((s, i) => values[i].push(Number(row.cells[s.index].dataset.value)));
    }
    return { labels, series, values };
  }

  function draw(figure) {
    const table = figure.querySelector("table[data-chart]");
    const canvas = figure.querySelector("canvas");
    if (!table || !canvas || typeof Chart === "undefined") return null;
    const kind = table.dataset.chart;
    const { labels, series, values } = readTable(table);
    const datasets = series.map((s, i) => ({
      label: s.name,
      data: values[i],
      backgroundColor: kind === "signed" ? ["#9aa5b1", "#b3261e", "#cfd6dd", "#e8a09a"][i] : colour(i),
      borderWidth: 0,
      stack: kind === "signed" ? s.stack : kind === "weekly" ? "all" : undefined,
    }));
    const stacked = kind !== "position";
    const weekly = kind === "weekly";
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: weekly
          ? labels.map((iso) => dayFormat.format(new Date(iso + "T00:00:00Z")))
          : labels,
        datasets,
      },
      options: {
        locale: numberLocale,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: weekly ? "x" : "y",
        interaction: { mode: weekly ? "index" : "nearest", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { filter: (item) => item.raw !== 0 },
        },
        scales: {
          x: { stacked, beginAtZero: true, ticks: { precision: 0, autoSkip: true, maxRotation: 0 } },
          y: { stacked, beginAtZero: true, ticks: { precision: 0, autoSkip: false } },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("table.sortable").forEach(sortable);
    const charts = Array.from(document.querySelectorAll("figure.chart")).map(draw).filter(Boolean);
    // Printed pages are narrower than the screen: redraw to fit, and back; and print
    // each chart's numbers under it.
    const numbers = Array.from(document.querySelectorAll("details.chart-numbers"));
    let wasOpen = [];
    window.addEventListener("beforeprint", () => {
      wasOpen = numbers.map((details) => details.open);
      numbers.forEach((details) => { details.open = true; });
      charts.forEach((chart) => chart.resize());
    });
    window.addEventListener("afterprint", () => {
      numbers.forEach((details, i) => { details.open = wasOpen[i]; });
      charts.forEach((chart) => chart.resize());
    });
    document.body.dataset.charts = String(charts.length);
  });
})();
