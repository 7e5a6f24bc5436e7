// Keyboard shortcuts of the judge page: R real, G generated, F / U cycle the optional ratings.
"use strict";
function cycle(name) {
  const yes = document.querySelector(`input[name=${name}][value=yes]`);
  const no = document.querySelector(`input[name=${name}][value=no]`);
  if (!yes || !no) return;
  if (yes.checked) { no.checked = true; } else if (no.checked) { no.checked = false; } else { yes.checked = true; }
}
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.matches("input[type=text]")) return;
  const key = event.key.toLowerCase();
  const button = { r: "real", g: "generated" }[key];
  if (button && document.getElementById(button)) {
    event.preventDefault();
    document.getElementById(button).click();
  } else if (key === "f" || key === "u") {
    event.preventDefault();
    cycle(key === "f" ? "follow" : "upbeat");
  }
});
