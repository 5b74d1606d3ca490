// ruven site: sort and filter the table of a table page; on a row page, write the permalink as
// the full address the page is read at. Every page works without this script: the table is
// complete and ordered by id, and the permalink is the page's path in the site.
(function () {
  "use strict";
  var link = document.querySelector("a.permalink");
  var relative = link && link.getAttribute("data-relative");
  if (relative && /^https?:$/.test(window.location.protocol)) {
    var full = link.href;  // the browser resolves the relative link against this page
    link.textContent = full;
    Array.prototype.forEach.call(document.querySelectorAll(".cite textarea"), function (t) {
      t.value = t.value.split(relative).join(full);
    });
  }
}());

(function () {
  "use strict";
  var table = document.getElementById("rows");
  var form = document.querySelector("form.filter");
  if (!table || !form) { return; }
  var input = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var total = rows.length;
  rows.forEach(function (tr) { tr.dataset.text = tr.textContent.toLowerCase(); });

  function filter() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    rows.forEach(function (tr) {
      var hit = words.every(function (w) { return tr.dataset.text.indexOf(w) !== -1; });
      tr.hidden = !hit;
      if (hit) { n += 1; }
    });
    shown.textContent = n + " of " + total + " rows shown";
  }

  function sortBy(index, th) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.sort || "", y = b.cells[index].dataset.sort || "";
      if (x === y) { return 0; }
      if (x === "") { return 1; }
      if (y === "") { return -1; }
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    rows.forEach(function (tr) { body.appendChild(tr); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    button.addEventListener("click", function () { sortBy(index, th); });
    th.textContent = "";
    th.appendChild(button);
  });
  form.hidden = false;
  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (e) { e.hidden = false; });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  input.addEventListener("input", filter);
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; filter(); }
}());
