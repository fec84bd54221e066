"""The account center: pages under `/account` for a signed-in account.

Sign-in (`signing`), the sessions (`home`), the session forms (`sessions`, with
`session_form`), the invitee forms (`invitees`), the settings (`settings`), the media library
(`files`), the recordings (`recordings`), recurring series (`series`), API tokens
(`tokens`) and webhooks (`webhooks`) are built on `framework`, which every new page
should use the same way (a form with a file uses `@upload_page` instead, see `files`):

    @account_page                          # not signed in: 303 to /account/sign-in?next=...
    async def rename(visit: Visit) -> Response:      # POST: form read, CSRF checked (else 403)
        if visit.request.method == "GET":
            return visit.render("account/rename.html")
        try:
            async with visit.transaction(write=True) as conn:  # one transaction per change
                await some_service.change(conn, visit.account, visit.form.get("name", ""))
        except DomainError as exc:  # the API's own message, beside the field it names
            return visit.render("account/rename.html", errors=errors_for(exc, ("name",)),
                                status=400)
        return visit.redirect("/account", flash="settings-saved")  # a key of FLASHES

- Rules live in the services the API uses; a page never re-checks or re-words them.
  A change with side effects after the commit (mail, the meeting room) runs in
  `async with visit.change() as change:` and calls `scheduling.service`, as the API does.
- `visit.render` gives the template `account`, `csrf`, `flash`, `errors` (field → message,
  "" for the form as a whole) and `form` (what was typed, so a refused form keeps it).
  Templates extend `account/base.html`, put `<input type="hidden" name="csrf"
  value="{{ csrf }}">` in every form, and build fields with `account/fields.html`'s `field`
  macro (label, value, `aria-invalid`, the error below the field).
- Anything of another account is the one 404 page (`web.pages.not_found`): services raise
  `Missing` for it, and a test must show it for every new URL with an id.
- Register the page in `routes.account_routes` with `page(path, handler, methods)`, before
  the catch-all 404 route: that binds it to the application's `Services`, which
  `visit.services` (and `visit.database`, `visit.settings`) then give the handler.
"""
