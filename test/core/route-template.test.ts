import { describe, expect, it } from 'vitest';
import { routeTemplate } from '../../lambdas/core/route-template.ts';

describe('a route logged as a request path, read as its template', () => {
  it.each([
    ['digits', '/users/123/orders/456', '/users/{id}/orders/{id}'],
    ['a UUID', '/carts/6f1c2a9e-2b1d-4c55-9a43-0d7c1c1e2f3a/items', '/carts/{id}/items'],
    ['a hex string of 8 or more holding a digit', '/blobs/5f3a9c0e1b2d', '/blobs/{id}'],
    ['a long opaque token mixing letters and digits', '/sessions/aZ3kQ9_x-Lm2Pq7Rt', '/sessions/{id}'],
    ['a method before the path', 'GET /users/123', 'GET /users/{id}'],
    ['a query string', '/search?q=shoes&page=2', '/search'],
    ['a trailing slash', '/users/123/', '/users/{id}'],
    ['a query string after a trailing slash', 'POST /users/42/?debug=1', 'POST /users/{id}'],
    ['a method in lower or mixed case, read in capitals', 'get /users/1', 'GET /users/{id}'],
    ['spaces or a tab after the method', 'Post \t /users/1', 'POST /users/{id}'],
    ['a URL after a method: its scheme dropped, its host kept', 'GET https://api.example.com/users/1?x=1', 'GET api.example.com/users/{id}'],
    ['a URL alone', 'https://api.example.com/users/1/', 'api.example.com/users/{id}'],
    ['a fragment and matrix parameters, as a query string', '/users/1;jsessionid=ABC#top', '/users/{id}'],
    ['every trailing slash', '/users/1//', '/users/{id}'],
    ['a type-prefixed id', '/orders/ord_8f3k2j9x', '/orders/{id}'],
    ['a ULID', '/01ARZ3NDEKTSV4RRFFQ69G5FAV', '/{id}'],
    ['a URL with an `@` in its query, after a plain host', 'GET https://api.example.com/users/1000?email=ops@example.com', 'GET api.example.com/users/{id}'],
    ['a URL with an `@` in its path', 'GET https://discord.com/api/users/@me/guilds/1000', 'GET discord.com/api/users/@me/guilds/{id}'],
    ['a URL with a port and an `@` in its query', 'https://api.example.com:8443/users/7?to=a@b.co', 'api.example.com:8443/users/{id}'],
    ['a URL with an IPv6 host, a port and an `@` in its query', 'https://[::1]:8080/x/5?e=a@b', '[::1]:8080/x/{id}'],
  ])('templates %s', (_, route, template) => {
    // Act
    const read = routeTemplate(route);
    // Assess
    expect(read).toBe(template);
  });

  it.each([
    ['a named route', 'checkout-api'],
    ['a named route in capitals', 'SEARCH'],
    ['a templated path', '/users/{id}/orders/{id}'],
    ['an express-style template', '/users/:id'],
    ['the root', '/'],
    ['words, even hex-looking ones without a digit', '/v2/accounts/deadbeef/feedback'],
    ['a short mixed segment (a version, a locale)', '/api/v2/en-GB/oauth2'],
    ['a long word with no digit', '/reports/quarterly-statements'],
    ['a method-looking word that is none', 'FETCH /users/123'],
    ['a slug of words with short numbers (s3, ec2, http2, v2)', '/api/s3-bucket-notifications'],
    ['another such slug', '/api/ec2-instance-state'],
    ['a slug of words', '/blog/how-to-fix-http2-errors'],
    ['a slug ending in a version', '/oauth2/authorize-callback-v2'],
    ['a slug naming a hash', '/api/v1/sha256-checksums'],
    ['a camelCased name', '/rpc/getUserNotificationSettings'],
    ['a camelCased endpoint', '/api/listAllOrdersByCustomer'],
    ['a PascalCased endpoint after a method', 'POST /api/GetUserByEmailAddress'],
    ['a camelCased name ending in a short word', '/api/getOrdersByUserId'],
    ['an AWS-style action', '/ListTagsForResource'],
    ['a name starting with a lower-case brand', '/api/iOSAppStoreReceipt'],
    ['a token with no digit, even one switching case like a Nano ID (not told from a name)', '/sessions/KEqruvAensQuTdwBlyanX'],
    ['a prefixed word', '/api/user_settings2'],
    ['a URL with user info (its password left for the redactor)', 'https://bot:pw@api.example.com/users/1/'],
    ['a URL after a method with a password holding `/`', 'GET https://user:S3c/retF@host/x/1'],
    ['a URL with a password holding `#` or `?`', 'https://user:S3c#retE@host/x'],
    ['a URL with a password holding `?`', 'https://user:S3c?retE@host/x/1'],
    ['a URL with a password of more digits than a port before a `/`', 'https://admin:20240101/Pw@db.example.com/y/1'],
    ['a URL with an empty password before a `/`', 'https://user:/S3cZ@host/y/1'],
  ])('leaves %s as it is', (_, route) => {
    // Act
    const read = routeTemplate(route);
    // Assess
    expect(read).toBe(route);
  });
});
