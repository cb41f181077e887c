// gridreg dashboard: a click on a grid of the map opens its village's drill-down page.
// The page works without this script; it only adds the map navigation.
"use strict";
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("path[data-href]") : null;
  if (target) {
    window.location.assign(target.getAttribute("data-href"));
  }
});
