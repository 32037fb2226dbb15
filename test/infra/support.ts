import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp, type WatcherApp } from '../../infra/build.ts';

export interface BuiltApp extends WatcherApp {
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
  readonly outdir: string;
}

/** Builds the app (real esbuild bundling) into a temporary cloud assembly and synthesizes it. */
export function buildAndSynth(context: Record<string, unknown> = {}): BuiltApp {
  const outdir = mkdtempSync(join(tmpdir(), 'termwatch-cdk-'));
  const built = buildApp({ context, outdir });
  return {
    ...built,
    outdir,
    statefulTemplate: Template.fromStack(built.stateful),
    statelessTemplate: Template.fromStack(built.stateless),
  };
}

export function logicalId(construct: IConstruct): string {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(resource).getLogicalId(resource);
}

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

const packs = (): NagPack[] => [new AwsSolutionsChecks(undefined, { verbose: true }), new ServerlessChecks(undefined, { verbose: true })];

function run(scope: IConstruct, honourAcknowledgements: boolean): NagFinding[] {
  const findings: NagFinding[] = [];
  for (const pack of packs()) {
    if (!honourAcknowledgements) {
      // Private in cdk-nag's types; shadowing it on the instance shows every raw finding.
      Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
    }
    for (const violation of pack.validateScope(scope).violations) {
      for (const resource of violation.violatingResources) {
        findings.push({ rule: violation.ruleName, severity: violation.severity ?? 'unspecified', path: resource.constructPath ?? '?' });
      }
    }
  }
  return findings;
}

/** Findings of the AwsSolutions and Serverless packs that nobody acknowledged (errors and warnings). */
export const unacknowledgedNagFindings = (scope: IConstruct): NagFinding[] => run(scope, true);
/** Every finding, acknowledged or not. */
export const allNagFindings = (scope: IConstruct): NagFinding[] => run(scope, false);

export interface Acknowledgement {
  readonly rule: string;
  readonly reason: string;
  readonly path: string;
}

/** Every `Validations.of(x).acknowledge(...)` in the tree. */
export function acknowledgements(scope: IConstruct): Acknowledgement[] {
  const result: Acknowledgement[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        result.push({ rule: key.replace(/^annotation::/i, ''), reason, path: construct.node.path });
      }
    }
  }
  return result;
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every statement of every identity policy in the template. */
export function policyStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

/** Statements of the identity policies attached to the role of the function `functionLogicalId`. */
export function functionStatements(template: Template, functionLogicalId: string): Statement[] {
  const fn = template.toJSON().Resources[functionLogicalId] as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

export const actionsOf = (statement: Statement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

export const resourcesOf = (statement: Statement): unknown[] => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]);

/** Actions a function may take on resources whose definition mentions `logicalIdPart`. */
export function actionsOn(statements: Statement[], logicalIdPart: string): string[] {
  return statements.filter((s) => s.Effect === 'Allow' && resourcesOf(s).some((r) => JSON.stringify(r).includes(logicalIdPart))).flatMap(actionsOf);
}
