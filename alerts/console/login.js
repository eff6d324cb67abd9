// The login page: the form posts to /api/login and opens the console.
const form = document.getElementById("login");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const data = new FormData(form);
  const r = await fetch("/api/login", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({username: data.get("username"), password: data.get("password")})});
  if (r.ok) { location.href = "/"; } else { document.getElementById("error").textContent = "用户名或密码错误"; }
});
