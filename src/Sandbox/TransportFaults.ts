/**
 * Fault rules acted out at the transports, so that the real providers' error classification
 * and retries run. The sandbox and the fakes set `CurrentCall` around each provider call; a
 * matching rule fails the first cloud-changing transport call made for it (the first call of
 * any kind for a read): a usacloud run fails as usacloud does (503 for transient, 400 for
 * permanent), an HTTP call is answered as Cloudflare answers (503 or 400 with an error code), a
 * wrangler run fails as wrangler reports such an answer; a hang never answers.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { refusal } from "../Cloudflare/Simulator/Wrangler.js"
import type * as Wrangler from "../Cloudflare/Wrangler.js"
import * as SakuraSimulator from "../Sakura/Simulator.js"
import { UsacloudTransport } from "../Sakura/Transport.js"
import { type Call, ruleForTransportCall, type Runtime } from "./FaultInjection.js"
import { type FaultRule, format } from "./Faults.js"

const describe = (rule: FaultRule) => `injected ${rule.kind} fault (${format(rule)})`

// usacloud -----------------------------------------------------------------------------------

const readingVerbs: ReadonlySet<string> = new Set(["list", "ls", "read", "status", "auth-status", "version"])

/** A usacloud run that changes the cloud: any but its reading commands. */
const changesCloud = (args: ReadonlyArray<string>) =>
  !args
    .filter((arg) => !arg.startsWith("-"))
    .slice(0, 2)
    .some((word) => readingVerbs.has(word))

/**
 * The usacloud simulator's transport over `store`, with the rules acted out: a faulted run is
 * answered by the simulator itself with the fault's output, so it is recorded like any other.
 */
export const layerUsacloud = (
  store: SakuraSimulator.SimulatorStore,
  options: SakuraSimulator.SimulatorOptions,
  runtime: Pick<Runtime, "faults" | "store">
): Layer.Layer<UsacloudTransport> =>
  Layer.effect(
    UsacloudTransport,
    Effect.gen(function* () {
      const withKind = (kind: SakuraSimulator.SimulatorFault["kind"]) =>
        Effect.provide(
          UsacloudTransport,
          SakuraSimulator.layerTransport(store, { ...options, faults: [{ command: "*", kind }] })
        )
      const normal = yield* Effect.provide(UsacloudTransport, SakuraSimulator.layerTransport(store, options))
      const faulted = {
        transient: yield* withKind(503),
        permanent: yield* withKind(400),
        hang: yield* withKind("hang")
      }
      return UsacloudTransport.of({
        run: (args, runOptions) =>
          ruleForTransportCall(runtime, changesCloud(args)).pipe(
            Effect.mapError(SakuraSimulator.storeUnavailable),
            Effect.flatMap((rule) => (rule === undefined ? normal : faulted[rule.kind]).run(args, runOptions))
          )
      })
    })
  )

// Cloudflare's API ---------------------------------------------------------------------------

const answers = {
  transient: { status: 503, code: 10001 },
  permanent: { status: 400, code: 1000 }
} as const

/** The provider calls a request is made for besides the one making it (the other changes of a batch). */
export type JoinedCalls = (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<ReadonlyArray<Call>>

/** `client` with the rules acted out: a faulted request gets Cloudflare's error answer instead. */
export const httpClient = (
  client: HttpClient.HttpClient,
  runtime: Pick<Runtime, "faults" | "store">,
  joinedOf: JoinedCalls = () => Effect.succeed([])
): HttpClient.HttpClient =>
  HttpClient.transform(client, (effect, request) =>
    ruleForTransportCall(runtime, request.method !== "GET", joinedOf(request)).pipe(
      Effect.mapError(
        (error) =>
          new HttpClientError.RequestError({ request, reason: "Transport", cause: error, description: error.message })
      ),
      Effect.flatMap((rule) => {
        if (rule === undefined) return effect
        if (rule.kind === "hang") return Effect.never
        const { status, code } = answers[rule.kind]
        const body = JSON.stringify({
          success: false,
          errors: [{ code, message: describe(rule) }],
          messages: [],
          result: null
        })
        return Effect.succeed(
          HttpClientResponse.fromWeb(
            request,
            new Response(body, { status, headers: { "content-type": "application/json" } })
          )
        )
      })
    )
  )

// wrangler -----------------------------------------------------------------------------------

/** `wrangler` with the rules acted out on its deploys and deletes, failing as wrangler reports Cloudflare's answer. */
export const wrangler = (
  service: Wrangler.WranglerService,
  runtime: Pick<Runtime, "faults" | "store">
): Wrangler.WranglerService => {
  const guarded =
    (command: string) =>
    <A>(effect: Effect.Effect<A, Wrangler.WranglerError>): Effect.Effect<A, Wrangler.WranglerError> =>
      ruleForTransportCall(runtime, true).pipe(
        Effect.orElseSucceed(() => undefined),
        Effect.flatMap((rule) => {
          if (rule === undefined) return effect
          if (rule.kind === "hang") return Effect.never
          return Effect.fail(
            refusal(command, answers[rule.kind].status, { ...answers[rule.kind], message: describe(rule) })
          )
        })
      )
  return {
    ...service,
    deploy: (spec) => guarded("wrangler deploy")(service.deploy(spec)),
    deleteWorker: (name) => guarded("wrangler delete")(service.deleteWorker(name)),
    createPagesProject: (spec) => guarded("wrangler pages project create")(service.createPagesProject(spec)),
    deployPages: (spec) => guarded("wrangler pages deploy")(service.deployPages(spec)),
    deletePagesProject: (name) => guarded("wrangler pages project delete")(service.deletePagesProject(name))
  }
}
