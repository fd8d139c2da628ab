/**
 * The `pages` node: a Cloudflare Pages project deployed from a folder.
 */
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import {
  block,
  checkedHash,
  checkProvider,
  type Collector,
  type ConfigError,
  type DecodeContext,
  existingPath,
  type ExpandContext,
  type KdlNode,
  type Located,
  type Location,
  one,
  optional,
  optionalString,
  portablePath,
  requiredLocated,
  resolvePath,
  resourceName,
  decoding
} from "../../Declaration.js"
import type { Declared } from "../Model.js"

export interface PagesSpec {
  readonly type: "pages"
  readonly name: string
  readonly at: Location
  readonly directory: Located<string>
  readonly productionBranch: string
  readonly branch?: string | undefined
}

export const decodePages = (context: DecodeContext, node: KdlNode): Either.Either<PagesSpec, ConfigError> =>
  decoding((take) => {
    const env = context.env
    const name = take(resourceName(env, node))
    const fields = take(block(node, ["provider", "directory", "production-branch", "branch"]))
    take(checkProvider(env, fields, "cloudflare"))
    const spec: PagesSpec = {
      type: "pages",
      name,
      at: node.at,
      directory: take(requiredLocated(env, fields, "directory", 'write directory "./dist"')),
      productionBranch: take(optionalString(env, one(fields, "production-branch"))) ?? "main",
      ...optional("branch", take(optionalString(env, one(fields, "branch"))))
    }
    return spec
  })

export const expandPages = (context: ExpandContext, pages: PagesSpec, collector: Collector<Declared>) =>
  Effect.gen(function* () {
    const directory = yield* resolvePath(context.directory, pages.directory.value)
    yield* existingPath(directory, pages.directory.at, "Pages directory", "folder")
    const directoryHash = yield* checkedHash(directory, pages.directory.at, "Pages directory")
    yield* collector.add(
      "pages",
      pages.name,
      {
        name: pages.name,
        directory: portablePath(context.directory, directory),
        directoryHash,
        productionBranch: pages.productionBranch,
        ...optional("branch", pages.branch)
      },
      [],
      pages.at
    )
  })
