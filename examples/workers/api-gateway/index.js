export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (url.pathname.startsWith("/files/")) {
      const object = await env.ATTACHMENTS.get(url.pathname.slice("/files/".length))
      return object === null ? new Response("not found", { status: 404 }) : new Response(object.body)
    }
    return Response.json({ mode: env.MODE, path: url.pathname })
  }
}
