/// What happens after an optimizer step: the Trainer's DefaultFlowCallback (on_step_end and,
/// when the step ends an epoch or the run, on_epoch_end) as one value.
///
/// Differences, each kept from asrc's earlier behaviour and documented in docs/cli.md:
/// - the steps logging strategy also logs the run's last step (the Trainer logs it only as the
///   closing train_loss summary), so a run's final loss is always on screen;
/// - `--eval-steps 0` with the steps strategy evaluates only after the last step.
struct StepEvents: Equatable {
  var log = false
  var evaluate = false
  var save = false

  init(arguments: TrainingArguments, step: Int, epoch: Double, isLast: Bool, endsEpoch: Bool) {
    switch arguments.loggingStrategy {
    case .steps: log = step % arguments.loggingSteps == 0 || isLast
    case .epoch: log = endsEpoch
    case .no: log = false
    }
    if arguments.loggingFirstStep && step == 1 { log = true }

    switch arguments.evalStrategy {
    case .steps:
      // Every eval_steps, and after the last step when that was not one of them.
      let due = (arguments.evalSteps > 0 && step % arguments.evalSteps == 0) || isLast
      evaluate = due && arguments.evalDelay <= Double(step)
    case .epoch: evaluate = endsEpoch && arguments.evalDelay <= epoch
    case .no: evaluate = false
    }

    switch arguments.saveStrategy {
    case .steps: save = arguments.saveSteps > 0 && (step % arguments.saveSteps == 0 || isLast)
    case .epoch: save = endsEpoch
    case .no, .best: save = false
    }
  }
}
