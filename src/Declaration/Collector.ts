/**
 * The desired resources of a stage as they are expanded: each built as its cloud's model declares it,
 * in declaration order, with a key declared twice refused.
 */
import * as Either from "effect/Either"
import {
  type DesiredResource,
  type Inputs,
  makeKey,
  providerOf,
  type Reference,
  type ResourceKey,
  type ResourceType,
  reference,
  type SourceSpan
} from "../Resource.js"
import { type ConfigError, configError, type Location } from "./ConfigError.js"

export interface ExpandContext {
  readonly file: string
  readonly directory: string
  readonly cloudflareZone?: string | undefined
  readonly scale?: Readonly<Record<string, number>> | undefined
}

/** `inputs` with no field `Shape` lacks, even one spread in: a misspelt or unknown field does not compile. */
type Exact<Inputs, Shape> = Inputs & { readonly [Field in Exclude<keyof Inputs, keyof Shape>]: never }

/** A reference to another resource's attribute, as a value of the inputs. */
export const ref = (key: ResourceKey, attribute: string): Reference => ({ ...reference(key, attribute) })

const span = (at: Location): SourceSpan => ({ file: at.file, line: at.line, column: at.column, path: at.path })

/**
 * Collects resources in declaration order and refuses a key declared twice. `Declared` is what a cloud's
 * configuration declares for each type (its `Model.ts`): an input its model lacks does not compile.
 */
export class Collector<Declared> {
  readonly resources: Array<DesiredResource> = []
  private readonly seen = new Map<ResourceKey, Location>()

  add<Type extends ResourceType & keyof Declared, Given extends Declared[Type]>(
    type: Type,
    name: string,
    inputs: Exact<Given, Declared[Type]>,
    dependsOn: ReadonlyArray<ResourceKey>,
    at: Location
  ): Either.Either<ResourceKey, ConfigError> {
    const key = makeKey(type, name)
    const previous = this.seen.get(key)
    if (previous !== undefined) {
      return Either.left(
        configError(
          at,
          `duplicate resource \`${key}\` in this stage`,
          `it is already declared at line ${previous.line}`
        )
      )
    }
    this.seen.set(key, at)
    this.resources.push({
      key,
      provider: providerOf[type],
      type,
      name,
      inputs: inputs as Inputs,
      dependsOn: [...new Set(dependsOn)],
      source: span(at)
    })
    return Either.right(key)
  }
}
