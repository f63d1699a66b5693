// toolkit report: the timeline's filters. The only script of the site; without
// it every row shows and every page reads the same.
"use strict";
(function () {
  var form = document.querySelector("form.filters");
  if (!form) {
    return;
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("ol.rows > li.row"));
  var output = form.querySelector("output.shown");
  function matches(row, name, wanted) {
    if (!wanted) {
      return true;
    }
    var value = row.getAttribute("data-" + name) || "";
    return name === "type" ? value === wanted : value.split(" ").indexOf(wanted) >= 0;
  }
  function apply() {
    var wanted = {
      sources: form.elements.sources.value,
      actors: form.elements.actors.value,
      type: form.elements.type.value
    };
    var shown = 0;
    rows.forEach(function (row) {
      var keep = matches(row, "sources", wanted.sources) && matches(row, "actors", wanted.actors) &&
        matches(row, "type", wanted.type);
      row.hidden = !keep;
      shown += keep ? 1 : 0;
    });
    output.textContent = shown + " of " + rows.length + " shown";
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
