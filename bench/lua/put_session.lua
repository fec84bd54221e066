-- G4/G5: PUT session, one new session (one transaction) per request. The Authorization
-- header comes from wrk -H; the body is the form encoding PHP's cURL sends.
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "topic=Nightly+sync&duration=45&start_time=2031-03-04+10%3A00%3A00&timezone=UP1"
