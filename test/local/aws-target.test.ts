import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { StackOutputError, tableFromStack } from '../../local/local-target.ts';

describe('backfill --stack', () => {
  it("reads the table name from the stateful stack's TableName output", async () => {
    const cloudformation = new CloudFormationClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(cloudformation);
    mock.on(DescribeStacksCommand, { StackName: 'Termwatch-Stateful' }).resolves({
      Stacks: [
        {
          StackName: 'Termwatch-Stateful',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'NotifyTopicArn', OutputValue: 'arn:x' },
            { OutputKey: 'TableName', OutputValue: 'Termwatch-Stateful-Table-ABC' },
          ],
        },
      ],
    });
    expect(await tableFromStack('Termwatch-Stateful', undefined, cloudformation)).toBe('Termwatch-Stateful-Table-ABC');
  });

  it('names the stack when it has no such output or cannot be read', async () => {
    const cloudformation = new CloudFormationClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(cloudformation);
    mock
      .on(DescribeStacksCommand, { StackName: 'Termwatch-Stateless' })
      .resolves({ Stacks: [{ StackName: 'Termwatch-Stateless', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    await expect(tableFromStack('Termwatch-Stateless', undefined, cloudformation)).rejects.toThrow(/stack Termwatch-Stateless has no TableName output/);
    const other = new CloudFormationClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    mockClient(other)
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    const error = await tableFromStack('Nope', undefined, other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackOutputError);
    expect((error as Error).message).toBe('cannot read stack Nope: Stack with id Nope does not exist');
  });
});
