import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The namespace Powertools Metrics writes to (POWERTOOLS_METRICS_NAMESPACE of every function). */
export const metricsNamespace = 'Termwatch';

/**
 * A metric the functions emit with Powertools Metrics: namespace `Termwatch`, dimension `service`
 * (Powertools' default dimension, the function's POWERTOOLS_SERVICE_NAME).
 */
export function serviceMetric(service: string, metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: metricsNamespace, metricName, dimensionsMap: { service }, statistic: 'Sum', ...props });
}

/** Something that takes an alarm and makes it page: the Operations construct, or `pagingTo(topic)`. */
export interface AlarmSink {
  addAlarm(alarm: cloudwatch.Alarm): cloudwatch.Alarm;
}

/** Pages `topic` on ALARM and on OK; for stacks without the dashboard (the stateful stack). */
export function pagingTo(topic: ITopic): AlarmSink {
  const action = new SnsAction(topic);
  return {
    addAlarm(alarm) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    },
  };
}

export interface OperationsProps {
  /** The operations topic: every alarm's ALARM and OK actions publish here. */
  readonly alarmTopic: ITopic;
  readonly dashboardName: string;
}

/**
 * Where the stack's alarms come together: each alarm added here pages the operations topic on
 * ALARM and again on OK (so the person paged also learns it cleared), and appears on the one
 * CloudWatch dashboard, in an alarm status widget and as a graph of its metric.
 * Other constructs add theirs with `ops.addAlarm(alarm)` or `ops.alarm(id, props)`.
 */
export class Operations extends Construct implements AlarmSink {
  readonly alarmTopic: ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  private readonly alarms: cloudwatch.IAlarm[] = [];
  private readonly action: SnsAction;
  private readonly statusWidget: cloudwatch.AlarmStatusWidget;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.alarmTopic = props.alarmTopic;
    this.action = new SnsAction(props.alarmTopic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(24),
    });
    // The status widget reads `this.alarms` when synthesized, so alarms added later are on it too.
    this.statusWidget = new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: this.alarms,
      width: 24,
      height: 6,
      sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
    });
    this.dashboard.addWidgets(this.statusWidget);
  }

  /** Pages the operations topic on ALARM and on OK, and shows the alarm on the dashboard. */
  addAlarm(alarm: cloudwatch.Alarm, graph = true): cloudwatch.Alarm {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    if (graph) this.dashboard.addWidgets(new cloudwatch.AlarmWidget({ alarm, title: alarm.node.id.replace(/Alarm$/, ''), width: 8, height: 6 }));
    return alarm;
  }

  /** Creates an alarm in `scope` (default: beside this construct, so its id reads as the alarm's) and adds it. */
  alarm(id: string, props: cloudwatch.AlarmProps, scope?: Construct): cloudwatch.Alarm {
    return this.addAlarm(new cloudwatch.Alarm(scope ?? (this.node.scope as Construct), id, props));
  }

  /** Every alarm added so far. */
  get allAlarms(): readonly cloudwatch.IAlarm[] {
    return this.alarms;
  }
}
