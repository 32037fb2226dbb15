import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '../../shared/http/auth/roles.ts';

export interface IdentityProps {
  /** `required` (the default) or `optional` TOTP MFA. */
  readonly mfa: 'required' | 'optional';
  /** Hosted-UI domain prefix: `<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainPrefix: string;
  /** The dashboard's sign-in callback URLs (its `/app/` URL). */
  readonly callbackUrls: readonly string[];
  readonly logoutUrls?: readonly string[];
}

/**
 * Sign-in for people on AWS: a Cognito user pool (e-mail as the user name, self sign-up off:
 * an admin adds each person), one group per Termwatch role, the hosted-UI domain, and a public
 * app client for the dashboard (authorization code with PKCE, no secret: a browser cannot keep
 * one). The HTTP API's JWT authorizer trusts `issuer` with `clientId` as audience; the API
 * function reads the role from `cognito:groups`.
 */
export class Identity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      signInAliases: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      mfa: props.mfa === 'required' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      // TOTP apps only: SMS would need an SNS role and spend limits for a handful of people.
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      // The people who may end client relationships: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const role of ROLES) {
      new cognito.CfnUserPoolGroup(this, `Group-${role}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: `Termwatch ${role}`,
        // Higher roles first: Cognito's own precedence matches the API's "highest role wins".
        precedence: ROLES.length - ROLES.indexOf(role),
      });
    }
    this.domain = this.userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.client = this.userPool.addClient('Dashboard', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [...props.callbackUrls],
        ...(props.logoutUrls?.length ? { logoutUrls: [...props.logoutUrls] } : {}),
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
    });

    new CfnOutput(this, 'Issuer', { value: this.issuer, description: 'OIDC issuer (WATCHER_OIDC_ISSUER for the dashboard and scripts)' });
    new CfnOutput(this, 'ClientId', { value: this.clientId, description: "The dashboard's app client id (WATCHER_OIDC_AUDIENCE)" });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Add people here (README: People and roles)' });
    new CfnOutput(this, 'HostedUiUrl', { value: this.domain.baseUrl(), description: 'Hosted sign-in (authorization code with PKCE)' });

    const pool = this.userPool.node.defaultChild as cognito.CfnUserPool;
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The Plus feature plan (threat protection) is billed per monthly active user; sign-in is limited to people an admin added (no self sign-up), with a strong password policy and TOTP MFA. Switch featurePlan to PLUS where the account requires adaptive authentication.',
    });
    if (props.mfa === 'optional') {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'MFA is optional because the deployment chose context mfa=optional; each person may still enrol a TOTP app, and an admin adds every account.',
      });
    }
  }

  /** The issuer the JWT authorizer and the API trust. */
  get issuer(): string {
    return `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
  }

  get clientId(): string {
    return this.client.userPoolClientId;
  }
}
