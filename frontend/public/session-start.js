// Restores the session as soon as the page opens: POST /api/v1/auth/refresh starts here, while
// the app's code is still downloading, instead of after it has run (src/lib/session.ts takes the
// answer up). The same Web Lock as the app's own refreshes keeps two tabs opening together from
// spending one refresh token twice. Not inline: the site's Content-Security-Policy allows only
// scripts of its own.
(function () {
  function post() {
    return fetch("/api/v1/auth/refresh", { method: "POST", credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      });
  }
  var locks = navigator.locks;
  window.teliporterSessionStart =
    locks && locks.request ? locks.request("teliporter-session-refresh", post) : post();
})();
