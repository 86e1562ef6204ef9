"""Request dispatch: decoding, routing errors and the headers of every reply.

Needs a running server at TECHMART_URL."""

from harness import check, get, get_json, run_all, test


def error_of(body):
    check(isinstance(body, dict), f"not a JSON object: {body!r}")
    e = body.get("error")
    check(isinstance(e, dict) and e.get("code") and e.get("message"), f"error body {body}")
    return e


@test
def unknown_api_path_is_404_json():
    status, _, body = get_json("/api/v1/no-such-thing")
    check(status == 404, f"status {status}")
    check(error_of(body)["code"] == "not_found", f"body {body}")


@test
def wrong_method_is_405_with_allow():
    status, headers, body = get("/api/v1/technologies", method="PUT", data=b"")
    check(status == 405, f"status {status}")
    check("GET" in headers.get("allow", ""), f"allow {headers.get('allow')!r}")
    check(headers.get("content-type", "").startswith("application/json"), f"{headers}")


@test
def non_get_on_a_static_path_is_405():
    status, headers, _ = get("/index.html", method="DELETE")
    check(status == 405, f"status {status}")
    check("GET" in headers.get("allow", ""), f"allow {headers.get('allow')!r}")


@test
def malformed_percent_encoding_is_400_json():
    for path in ["/api/v1/technologies/%zz", "/api/v1/technologies/%4", "/%"]:
        status, headers, body = get_json(path)
        check(status == 400, f"{path}: status {status}")
        check(headers.get("content-type", "").startswith("application/json"), f"{headers}")
        check(error_of(body)["code"] == "invalid", f"{path}: body {body}")


@test
def encoded_nul_in_the_path_or_query_is_400():
    for path in ["/api/v1/technologies/1%00", "/api/v1/technologies?q=a%00b"]:
        status, _, body = get_json(path)
        check(status == 400, f"{path}: status {status}")


@test
def invalid_utf8_in_the_path_or_query_is_400():
    for path in ["/api/v1/technologies/%ff", "/api/v1/technologies?q=%c3%28"]:
        status, _, body = get_json(path)
        check(status == 400, f"{path}: status {status}")


@test
def malformed_query_string_is_400_json():
    status, _, body = get_json("/api/v1/technologies?q")
    check(status == 400, f"status {status}")
    error_of(body)


@test
def every_reply_says_nosniff():
    for method, path in [("GET", "/healthz"), ("GET", "/api/v1/nope"), ("GET", "/"),
                         ("GET", "/missing.css"), ("HEAD", "/healthz")]:
        _, headers, _ = get(path, method=method)
        check(headers.get("x-content-type-options") == "nosniff", f"{method} {path}: {headers}")


@test
def head_of_an_api_route_has_headers_only():
    _, _, gbody = get("/healthz")
    status, headers, body = get("/healthz", method="HEAD")
    check(status == 200, f"status {status}")
    check(body == b"", f"{len(body)} body bytes")
    check(headers.get("content-length") == str(len(gbody)), f"{headers}")


@test
def api_replies_are_compact_json_utf8():
    status, headers, body = get("/healthz")
    check(headers.get("content-type") == "application/json; charset=utf-8", f"{headers}")
    check(b": " not in body and b", " not in body, f"not compact: {body[:80]!r}")


if __name__ == "__main__":
    run_all()
