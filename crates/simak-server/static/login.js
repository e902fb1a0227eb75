"use strict";
document.getElementById("f").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("err");
  err.textContent = "";
  const r = await fetch("/api/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: document.getElementById("u").value, password: document.getElementById("p").value }),
  });
  if (r.ok) { location.href = "/"; return; }
  const body = await r.json().catch(() => ({}));
  err.textContent = (body.error && body.error.message) || "Gagal masuk.";
});
