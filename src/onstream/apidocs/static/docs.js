// Swagger UI on the description this server serves; "Try it out" calls this same server.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/2/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    defaultModelsExpandDepth: 0,
  });
});
