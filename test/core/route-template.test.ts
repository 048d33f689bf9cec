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
  ])('leaves %s as it is', (_, route) => {
    // Act
    const read = routeTemplate(route);
    // Assess
    expect(read).toBe(route);
  });
});
