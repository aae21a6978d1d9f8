// app-vision page: who is logged in, and a logout button (when access control is on).
"use strict";

(async () => {
  const box = document.getElementById("session");
  const reply = await fetch("/api/v3/auth/session").catch(() => null);
  if (reply === null) return;
  if (reply.status === 401) {
    window.location.assign("/login");
    return;
  }
  if (!reply.ok) return; // 404: access control is off
  const session = await reply.json();
  const logout = document.createElement("button");
  logout.id = "logout";
  logout.textContent = "Log out";
  logout.addEventListener("click", async () => {
    await fetch("/api/v3/auth/logout", { method: "POST" });
    window.location.assign("/login");
  });
  const who = document.createElement("span");
  who.id = "user";
  who.textContent = session.user;
  box.replaceChildren(who, logout);
})();
