// app-vision login page: posts the form as JSON, then goes to the page; no build step.
"use strict";

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("error");
  error.textContent = "";
  const body = {
    user: document.getElementById("user").value,
    password: document.getElementById("password").value,
  };
  try {
    const reply = await fetch("/api/v3/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (reply.ok) {
      window.location.assign("/");
      return;
    }
    const answer = await reply.json().catch(() => ({}));
    error.textContent = answer.message || `login failed (${reply.status})`;
  } catch (err) {
    error.textContent = `cannot reach the service: ${err}`;
  }
});
