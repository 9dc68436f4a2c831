// /api/v1/docs: Swagger UI over the app's own OpenAPI document. Calls made with "Try it out" use
// the browser's session and send the page's CSRF token, or an access token given in Authorize.
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  const csrfToken = root.dataset.csrfToken;
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: (request) => {
      const method = (request.method || "GET").toUpperCase();
      if (!["GET", "HEAD", "OPTIONS"].includes(method)) request.headers["X-CSRFToken"] = csrfToken;
      return request;
    },
  });
})();
