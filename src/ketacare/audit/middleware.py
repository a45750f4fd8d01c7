def RequestContextMiddleware(get_response):
    return get_response
